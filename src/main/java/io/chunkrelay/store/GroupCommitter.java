package io.chunkrelay.store;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.metrics.Metrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 2 (ack means durable; gap-free, commit-ordered seqs) at load: group commit.
 * Appends from concurrent requests, to any streams, wait here; one committer thread takes whatever
 * is pending when the previous commit ends (no fixed wait when idle, at most {@code maxAppends}
 * appends and {@code maxChunks} chunks) and writes it in one transaction ({@link
 * GroupTransaction}). Each producer is answered only after that transaction committed. One thread
 * means one group at a time, so appends to a stream keep their arrival order and commit order stays
 * seq order.
 *
 * <p>A stream whose row another transaction holds (a DBA's, another node's group) is skipped, not
 * waited for: its appends stay queued, in order, and are tried again after a short backoff, while
 * every other stream's appends commit. An append that cannot be written within {@code
 * maxWaitMillis} is refused unwritten (503).
 *
 * <p>One bad member never fails its group: members refused for their own reason are refused alone
 * inside the transaction; if the transaction itself fails with an error that is not the database's
 * absence, the group is split in halves and each half committed on its own, down to the one member
 * that fails, which alone gets the error. A deadlock, a serialization failure or a concurrent
 * twin's key makes the group run again (up to {@value #ATTEMPTS} times). A database that cannot be
 * reached fails the whole group: nothing of it committed (unless the connection was lost during
 * COMMIT itself, when nobody knows), every producer gets 503 and may retry with its key.
 *
 * <p>After commit, the committed chunks go to the {@link CommitListener} on {@code notifier}, off
 * the committer's path.
 */
final class GroupCommitter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
  private static final int ATTEMPTS = 3;
  private static final long STOP_WAIT_SECONDS = 10;
  private static final long[] APPEND_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  private static final long[] CHUNK_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384};
  private static final long[] MICROS_BUCKETS = {
    250, 500, 1000, 2000, 5000, 10_000, 50_000, 250_000, 1_000_000
  };

  private final DataSource dataSource;
  private final Clock clock;
  private final CommitListener afterCommit;
  private final Executor notifier;
  private final Thread thread;
  private final AppendQueue queue;

  /**
   * The streams this committer wrote to (most recent {@value StreamHeads#CAPACITY}) with their
   * committed heads: their rows need no insert and their heads no read. Only the committer thread
   * uses it.
   */
  private final StreamHeads heads = new StreamHeads();

  private final Metrics.Histogram groupAppends;
  private final Metrics.Histogram groupChunks;
  private final Metrics.Histogram commitMicros;
  private final Metrics.Counter retries;
  private final Metrics.Counter splits;
  private final Metrics.Counter notificationsDropped;

  GroupCommitter(
      DataSource dataSource,
      Clock clock,
      CommitListener afterCommit,
      Executor notifier,
      GroupLimits limits,
      Metrics metrics) {
    this.dataSource = dataSource;
    this.clock = clock;
    this.afterCommit = afterCommit;
    this.notifier = notifier;
    this.groupAppends =
        metrics.histogram(
            "chunk_relay_group_appends",
            "appends committed together in one transaction",
            APPEND_BUCKETS);
    this.groupChunks =
        metrics.histogram(
            "chunk_relay_group_chunks",
            "chunks committed together in one transaction",
            CHUNK_BUCKETS);
    this.commitMicros =
        metrics.histogram(
            "chunk_relay_group_commit_micros",
            "time one group's transaction took, microseconds",
            MICROS_BUCKETS);
    this.retries =
        metrics.counter(
            "chunk_relay_group_retries_total",
            "groups run again after a deadlock, serialization failure or a twin's key");
    this.splits =
        metrics.counter(
            "chunk_relay_group_splits_total", "groups split to find the one member that fails");
    this.notificationsDropped =
        metrics.counter(
            "chunk_relay_publishes_dropped_total",
            "committed groups not handed to the publisher because it was full (the relay publishes"
                + " them)");
    this.queue = new AppendQueue(limits, metrics);
    this.thread = new Thread(this::run, "chunk-relay-committer");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Commits what is pending, then stops; appends submitted later are refused with 503. */
  @Override
  public void close() {
    queue.close();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(STOP_WAIT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    queue.refuseAll();
  }

  /**
   * Queues an append for the next group that can write it; the future completes once that group
   * committed, or with the reason it was refused.
   */
  CompletableFuture<Appended> submit(AppendRequest request, byte[] fingerprint) {
    return queue.submit(request, fingerprint);
  }

  private void run() {
    while (true) {
      List<PendingAppend> group;
      try {
        group = queue.nextGroup();
      } catch (InterruptedException e) {
        return;
      }
      if (group == null) {
        return;
      }
      long start = System.nanoTime();
      commit(group);
      commitMicros.observe(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
    }
  }

  /**
   * Commits the group, splitting it to isolate a member that makes the transaction fail. A half
   * holding a stream that an earlier half found held leaves that stream's appends queued (their
   * order must not change), and commits the rest.
   */
  private void commit(List<PendingAppend> group) {
    List<PendingAppend> waiting = queue.waitingForHeldStreams(group);
    if (!waiting.isEmpty()) {
      queue.requeueBusy(waiting);
      group = group.stream().filter(m -> !waiting.contains(m)).toList();
      if (group.isEmpty()) {
        return;
      }
    }
    Map<PendingAppend, GroupTransaction.Outcome> outcomes;
    try {
      outcomes = attempt(group);
    } catch (SQLException e) {
      if (StoreException.databaseUnreachable(e) || group.size() == 1) {
        if (group.size() == 1 && !StoreException.databaseUnreachable(e)) {
          LOG.warn(
              "append to stream {} failed alone and was rolled back: {}",
              group.get(0).streamId(),
              e.toString());
        }
        StoreException failure =
            new StoreException("append of a group of " + group.size() + " failed", e);
        group.forEach(append -> append.outcome().completeExceptionally(failure));
        return;
      }
      splits.increment();
      int half = group.size() / 2;
      commit(group.subList(0, half));
      commit(group.subList(half, group.size()));
      return;
    } catch (RuntimeException e) {
      LOG.error("a group of {} appends failed unexpectedly", group.size(), e);
      group.forEach(append -> append.outcome().completeExceptionally(e));
      return;
    }
    answer(group, outcomes);
  }

  /**
   * Runs the group's transaction, again after a deadlock, serialization failure or twin. Always a
   * transaction, even when it is one statement: a statement sent on its own commits the moment it
   * reaches PostgreSQL, so a connection that stalls after sending it leaves an outcome nobody
   * knows; with COMMIT a separate message, a failure before it is a certain rollback, and only a
   * failure of the COMMIT itself stays uncertain.
   */
  private Map<PendingAppend, GroupTransaction.Outcome> attempt(List<PendingAppend> group)
      throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try {
          Map<String, StreamHeads.Head> headsAfter = new HashMap<>();
          Map<PendingAppend, GroupTransaction.Outcome> outcomes =
              GroupTransaction.write(connection, group, clock.instant(), heads, headsAfter);
          connection.commit();
          headsAfter.forEach(heads::put);
          return outcomes;
        } catch (GroupTransaction.Retry | SQLException e) {
          rollback(connection, e);
          boolean again = e instanceof GroupTransaction.Retry || retryable((SQLException) e);
          if (!again || attempt >= ATTEMPTS) {
            throw e instanceof SQLException sql
                ? sql
                : new SQLException("group ran " + attempt + " times: " + e.getMessage(), "40001");
          }
          retries.increment();
        } catch (RuntimeException e) {
          rollback(connection, e);
          throw e;
        }
      }
    }
  }

  /** Answers every member, then hands the committed chunks to the listener, stream by stream. */
  private void answer(List<PendingAppend> group, Map<PendingAppend, GroupTransaction.Outcome> all) {
    Map<String, List<StoredChunk>> committed = new LinkedHashMap<>();
    List<PendingAppend> held = new ArrayList<>();
    int chunks = 0;
    for (PendingAppend member : group) {
      GroupTransaction.Outcome outcome = all.get(member);
      if (outcome.busy()) {
        held.add(member);
        continue;
      }
      if (outcome.refused() != null) {
        member.outcome().completeExceptionally(outcome.refused());
        continue;
      }
      if (!outcome.stored().isEmpty()) {
        committed
            .computeIfAbsent(member.streamId(), s -> new ArrayList<>())
            .addAll(outcome.stored());
        chunks += outcome.stored().size();
      }
      member.outcome().complete(outcome.appended());
    }
    groupAppends.observe(group.size() - held.size());
    groupChunks.observe(chunks);
    if (!held.isEmpty()) {
      queue.requeueBusy(held);
    }
    queue.notHeld(committed.keySet());
    if (committed.isEmpty()) {
      return;
    }
    try {
      notifier.execute(() -> tell(committed));
    } catch (RejectedExecutionException full) {
      // Committed is committed: the relay publishes what nobody did, a second later.
      notificationsDropped.increment();
    }
  }

  private void tell(Map<String, List<StoredChunk>> committed) {
    try {
      afterCommit.appended(committed);
    } catch (RuntimeException e) {
      LOG.error("after-commit notification of {} streams failed", committed.size(), e);
    }
  }

  private static void rollback(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException rollbackFailed) {
      failure.addSuppressed(rollbackFailed);
    }
  }

  /** Deadlock (40P01) or serialization failure (40001): the same group may well succeed again. */
  private static boolean retryable(SQLException e) {
    return "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
  }
}
