package io.chunkrelay.store;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.metrics.Metrics;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Keeps appends to one stream in arrival order while they wait for the {@link GroupCommitter}: the
 * queue of pending appends, in the node's order of arrival, and the rules for which of them form
 * the next group. A stream whose row was found held by another transaction backs off (1 ms,
 * doubling to 100 ms) and its appends keep their places; a second append with the stream and
 * Idempotency-Key of one already in the group waits for the next; an append that waited longer than
 * {@code maxWaitMillis} is refused unwritten. Thread-safe: producers submit from any thread, the
 * committer takes groups from its own.
 */
final class AppendQueue {
  private static final long MIN_BUSY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long MAX_BUSY_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final GroupLimits limits;
  private final LongSupplier nanoTime;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();

  /** Appends waiting for a group, in order of arrival (guarded by lock). */
  private final TreeMap<Long, PendingAppend> pending = new TreeMap<>();

  /** Streams whose row was found held, and when to try them again (guarded by lock). */
  private final Map<String, Backoff> busy = new HashMap<>();

  private boolean closed;
  private long arrivals;
  private final Metrics.Counter busyWaits;
  private final Metrics.Counter expired;

  /** When a held stream may be tried again, and the delay that led there. */
  private record Backoff(long untilNanos, long delayNanos) {}

  AppendQueue(GroupLimits limits, Metrics metrics) {
    this(limits, metrics, System::nanoTime);
  }

  /** With the clock {@code nanoTime} (in nanoseconds, as {@link System#nanoTime()}). */
  AppendQueue(GroupLimits limits, Metrics metrics, LongSupplier nanoTime) {
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.busyWaits =
        metrics.counter(
            "chunk_relay_group_busy_total",
            "appends left for a later group because their stream's row was held");
    this.expired =
        metrics.counter(
            "chunk_relay_appends_expired_total",
            "appends refused unwritten after waiting maxWait for a group (503)");
    metrics.gauge("chunk_relay_appends_pending", "appends waiting for a group", this::pendingSize);
  }

  /**
   * Queues an append; the future completes once a group with it committed, or with the reason it
   * was refused.
   */
  CompletableFuture<Appended> submit(AppendRequest request, byte[] fingerprint) {
    CompletableFuture<Appended> outcome = new CompletableFuture<>();
    lock.lock();
    try {
      if (closed) {
        outcome.completeExceptionally(stopping());
        return outcome;
      }
      long arrival = arrivals++;
      pending.put(
          arrival, new PendingAppend(request, fingerprint, outcome, arrival, nanoTime.getAsLong()));
      arrived.signal();
    } finally {
      lock.unlock();
    }
    return outcome;
  }

  /** No more appends: later ones are refused, and {@link #nextGroup} ends once drained. */
  void close() {
    lock.lock();
    try {
      closed = true;
      arrived.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Refuses whatever is still waiting (the node is stopping). */
  void refuseAll() {
    lock.lock();
    try {
      pending.values().forEach(append -> append.outcome().completeExceptionally(stopping()));
      pending.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Streams that committed are not held (any more). */
  void notHeld(Collection<String> streams) {
    lock.lock();
    try {
      if (!busy.isEmpty()) {
        streams.forEach(busy::remove);
      }
    } finally {
      lock.unlock();
    }
  }

  private long pendingSize() {
    lock.lock();
    try {
      return pending.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for at least one append that can go, lingers if so configured, then takes what is pending
   * up to the limits, in arrival order. Left for a later group: appends of a stream whose row was
   * found held (until its backoff passes; they keep their order), and a second append with the
   * stream and Idempotency-Key of one already taken (the stored key answers it then). Appends that
   * waited longer than {@code maxWaitMillis} are refused unwritten. Null once closed and drained.
   */
  List<PendingAppend> nextGroup() throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        long now = nanoTime.getAsLong();
        expire(now);
        if (pending.isEmpty()) {
          if (closed) {
            return null;
          }
          arrived.await();
          continue;
        }
        if (limits.lingerMicros() > 0 && pending.size() < limits.maxAppends() && !closed) {
          arrived.await(limits.lingerMicros(), TimeUnit.MICROSECONDS);
          now = nanoTime.getAsLong();
        }
        List<PendingAppend> group = take(now);
        if (!group.isEmpty()) {
          return group;
        }
        // Everything pending waits for a held row: until the earliest backoff ends, or news.
        long wait = Long.MAX_VALUE;
        for (PendingAppend append : pending.values()) {
          Backoff backoff = busy.get(append.streamId());
          if (backoff != null) {
            wait = Math.min(wait, backoff.untilNanos - now);
          }
        }
        arrived.awaitNanos(Math.max(wait, TimeUnit.MICROSECONDS.toNanos(100)));
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next group from pending (under the lock). */
  private List<PendingAppend> take(long now) {
    List<PendingAppend> group = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    int chunks = 0;
    for (Iterator<PendingAppend> it = pending.values().iterator(); it.hasNext(); ) {
      PendingAppend next = it.next();
      if (group.size() >= limits.maxAppends()) {
        break;
      }
      Backoff backoff = busy.get(next.streamId());
      if (backoff != null && backoff.untilNanos - now > 0) {
        continue;
      }
      if (next.key().isPresent() && keys.contains(next.streamId() + '\n' + next.key().get())) {
        continue;
      }
      if (!group.isEmpty() && chunks + next.chunks().size() > limits.maxChunks()) {
        break;
      }
      it.remove();
      group.add(next);
      chunks += next.chunks().size();
      if (next.key().isPresent()) {
        keys.add(next.streamId() + '\n' + next.key().get());
      }
    }
    return group;
  }

  /** Refuses, unwritten, the appends that waited too long for a group (under the lock). */
  private void expire(long now) {
    long limit = TimeUnit.MILLISECONDS.toNanos(limits.maxWaitMillis());
    for (Iterator<PendingAppend> it = pending.values().iterator(); it.hasNext(); ) {
      PendingAppend append = it.next();
      if (now - append.submittedNanos() > limit) {
        it.remove();
        expired.increment();
        append
            .outcome()
            .completeExceptionally(
                new StoreException(
                    "append to stream " + append.streamId() + " refused",
                    new SQLTransientConnectionException(
                        "waited "
                            + limits.maxWaitMillis()
                            + " ms for the stream's row (held by another transaction) or for the"
                            + " database; nothing was written")));
      }
    }
  }

  /**
   * Puts appends whose stream's row was held back into the queue at their place of arrival, and
   * backs that stream off: 1 ms, doubling to 100 ms while it stays held.
   */
  void requeueBusy(List<PendingAppend> held) {
    lock.lock();
    try {
      long now = nanoTime.getAsLong();
      for (PendingAppend append : held) {
        pending.put(append.arrival(), append);
        Backoff backoff = busy.get(append.streamId());
        if (backoff == null || backoff.untilNanos - now <= 0) {
          long delay =
              backoff == null
                  ? MIN_BUSY_BACKOFF_NANOS
                  : Math.min(backoff.delayNanos * 2, MAX_BUSY_BACKOFF_NANOS);
          busy.put(append.streamId(), new Backoff(now + delay, delay));
        }
      }
      busyWaits.add(held.size());
    } finally {
      lock.unlock();
    }
  }

  /** Members of the group whose stream is backed off now (after an earlier half found it held). */
  List<PendingAppend> waitingForHeldStreams(List<PendingAppend> group) {
    lock.lock();
    try {
      if (busy.isEmpty()) {
        return List.of();
      }
      long now = nanoTime.getAsLong();
      return group.stream()
          .filter(
              member -> {
                Backoff backoff = busy.get(member.streamId());
                return backoff != null && backoff.untilNanos - now > 0;
              })
          .toList();
    } finally {
      lock.unlock();
    }
  }

  private static StoreException stopping() {
    return new StoreException(
        "append refused",
        new SQLTransientConnectionException("the node is stopping; retry on another node"));
  }
}
