package io.chunkrelay.outbox;

import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.ChunkPage;
import io.chunkrelay.store.ChunkReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what was committed but not published for longer than {@code relayAfterMillis}: the
 * chunks of a node that died between commit and publish, or of a Redis outage. Every node flushes
 * its watermarks on each tick; one node at a time, the holder of a PostgreSQL advisory lock on a
 * connection it keeps, also relays. If that node dies, its session ends, the lock is free and
 * another node takes over at its next tick.
 */
public final class OutboxRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

  /** The advisory lock key: "chunk-relay outbox relay" as a number any DBA can look up. */
  static final long LOCK_KEY = 0x6368_756e_6b52_6c79L;

  private static final int STREAMS_PER_TICK = 100;
  private static final int CHUNKS_PER_PUBLISH = 500;

  private final DataSource dataSource;
  private final ChunkReader reader;
  private final Publisher publisher;
  private final Watermarks watermarks;
  private final Clock clock;
  private final long relayAfterMillis;
  private final ScheduledExecutorService timer;
  private final String nodeId;
  private final Metrics.Counter relayed;
  private final AtomicLong lagMillis = new AtomicLong();
  private Connection leaderConnection;

  public OutboxRelay(
      DataSource dataSource,
      ChunkReader reader,
      Publisher publisher,
      Watermarks watermarks,
      Clock clock,
      long relayAfterMillis,
      ScheduledExecutorService timer,
      String nodeId,
      Metrics metrics) {
    this.dataSource = dataSource;
    this.reader = reader;
    this.publisher = publisher;
    this.watermarks = watermarks;
    this.clock = clock;
    this.relayAfterMillis = relayAfterMillis;
    this.timer = timer;
    this.nodeId = nodeId;
    this.relayed =
        metrics.counter(
            "chunk_relay_outbox_relayed_chunks_total",
            "chunks the outbox relay published because nobody had");
    metrics.gauge(
        "chunk_relay_outbox_lag_millis",
        "age of the oldest unpublished append the relay saw (leader only)",
        lagMillis::get);
    metrics.gauge(
        "chunk_relay_outbox_leader", "1 on the node that relays", () -> isLeader() ? 1 : 0);
  }

  public void start() {
    long every = Math.max(50, Math.min(1_000, relayAfterMillis / 2));
    timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  private synchronized boolean isLeader() {
    return leaderConnection != null;
  }

  private void tick() {
    try {
      watermarks.flush();
      if (lead()) {
        relayOnce();
        watermarks.flush();
      }
    } catch (RuntimeException e) {
      LOG.warn("outbox relay tick failed: {}", e.toString());
    }
  }

  /** Takes or keeps the relay's advisory lock; returns whether this node relays. */
  private synchronized boolean lead() {
    try {
      if (leaderConnection != null) {
        if (leaderConnection.isValid(2)) {
          return true;
        }
        LOG.warn("outbox relay on node {} lost its database session; stepping down", nodeId);
        closeLeaderConnection();
      }
      Connection connection = dataSource.getConnection();
      try (PreparedStatement lock = connection.prepareStatement("select pg_try_advisory_lock(?)")) {
        lock.setLong(1, LOCK_KEY);
        try (ResultSet result = lock.executeQuery()) {
          if (result.next() && result.getBoolean(1)) {
            leaderConnection = connection;
            LOG.info("node {} is now the outbox relay", nodeId);
            return true;
          }
        }
      }
      connection.close();
      return false;
    } catch (SQLException e) {
      LOG.debug("outbox relay cannot take its lock: {}", e.toString());
      closeLeaderConnection();
      return false;
    }
  }

  private record Unpublished(String streamId, long publishedSeq, Instant updatedAt) {}

  private void relayOnce() {
    Instant now = clock.instant();
    List<Unpublished> streams = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "select stream_id, published_seq, updated_at from streams"
                    + " where published_seq < head_seq order by updated_at limit ?")) {
      select.setInt(1, STREAMS_PER_TICK);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          streams.add(
              new Unpublished(
                  rows.getString(1), rows.getLong(2), rows.getTimestamp(3).toInstant()));
        }
      }
    } catch (SQLException e) {
      LOG.warn("outbox relay cannot list unpublished streams: {}", e.toString());
      return;
    }
    lagMillis.set(
        streams.isEmpty()
            ? 0
            : Math.max(0, now.toEpochMilli() - streams.get(0).updatedAt().toEpochMilli()));
    Instant due = now.minusMillis(relayAfterMillis);
    for (Unpublished stream : streams) {
      if (stream.updatedAt().isAfter(due)) {
        break;
      }
      relay(stream);
    }
  }

  private void relay(Unpublished stream) {
    long after = stream.publishedSeq();
    while (true) {
      ChunkPage page;
      try {
        page = reader.chunksAfter(stream.streamId(), after, CHUNKS_PER_PUBLISH);
      } catch (ChunkLogException.StreamNotFound gone) {
        return;
      }
      if (page.chunks().isEmpty() || !publisher.appended(stream.streamId(), page.chunks())) {
        return;
      }
      long first = page.chunks().get(0).seq();
      long last = page.chunks().get(page.chunks().size() - 1).seq();
      watermarks.published(stream.streamId(), first, last);
      relayed.add(page.chunks().size());
      LOG.info(
          "outbox relay published stream={} seqs {}..{} that had not been published for {} ms",
          stream.streamId(),
          first,
          last,
          clock.millis() - stream.updatedAt().toEpochMilli());
      after = last;
      if (page.chunks().size() < CHUNKS_PER_PUBLISH) {
        return;
      }
    }
  }

  private synchronized void closeLeaderConnection() {
    if (leaderConnection != null) {
      try {
        leaderConnection.close();
      } catch (SQLException e) {
        LOG.debug("closing the relay's connection: {}", e.toString());
      }
      leaderConnection = null;
    }
  }

  @Override
  public void close() {
    // The lock is released with the session; the next node takes over at its next tick.
    synchronized (this) {
      if (leaderConnection != null) {
        try (PreparedStatement unlock =
            leaderConnection.prepareStatement("select pg_advisory_unlock(?)")) {
          unlock.setLong(1, LOCK_KEY);
          unlock.execute();
        } catch (SQLException e) {
          LOG.debug("releasing the relay's lock: {}", e.toString());
        }
      }
    }
    closeLeaderConnection();
  }
}
