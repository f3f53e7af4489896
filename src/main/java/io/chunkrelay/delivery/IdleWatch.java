package io.chunkrelay.delivery;

import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.chunk.StreamStatus;
import io.chunkrelay.store.ChunkLogException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the idle check of promise 7 (Redis accelerates, PostgreSQL decides: "an idle connection
 * checks the stream head") at a cost that does not grow with the connections: per stream per node,
 * not per connection. Every {@code pollMillis} it looks at the live connections by stream; a stream
 * none of whose connections progressed for {@code idleCheckMillis} (or {@code pollMillis} while one
 * of them hears no feed), and that was not checked within that time, has its head read once; only
 * the connections behind that head (or of a stream completed since) are told they may have missed
 * something, and read the log themselves (through {@link SharedReads}, so connections at the same
 * place share the read). A quiet stream whose connections are all at its head costs one primary-key
 * read per interval, whatever the number of its connections.
 *
 * <p>Runs on the node's delivery timer; it reads the connections' volatile progress and posts work
 * to their own executors, never touching their mergers.
 */
final class IdleWatch {
  private static final Logger LOG = LoggerFactory.getLogger(IdleWatch.class);

  private final DeliveryContext node;
  private final Map<String, Long> checkedNanos = new HashMap<>();
  private ScheduledFuture<?> ticker;

  IdleWatch(DeliveryContext node) {
    this.node = node;
  }

  void start() {
    long every = node.settings().pollMillis();
    ticker = node.timer().scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  void stop() {
    if (ticker != null) {
      ticker.cancel(false);
    }
  }

  /** One round over the live connections (on the timer thread). */
  void check() {
    try {
      long now = node.nanoTime().getAsLong();
      Map<String, List<StreamConnection>> byStream = new HashMap<>();
      for (StreamConnection connection : node.registry().all()) {
        if (connection.state() == DeliveryState.LIVE) {
          byStream.computeIfAbsent(connection.streamId(), s -> new ArrayList<>()).add(connection);
        }
      }
      checkedNanos.keySet().retainAll(byStream.keySet());
      byStream.forEach((streamId, connections) -> checkIfQuiet(streamId, connections, now));
    } catch (RuntimeException e) {
      LOG.error("the idle check failed; it runs again in {} ms", node.settings().pollMillis(), e);
    }
  }

  private void checkIfQuiet(String streamId, List<StreamConnection> connections, long now) {
    long last = checkedNanos.getOrDefault(streamId, Long.MIN_VALUE);
    boolean feedDown = false;
    for (StreamConnection connection : connections) {
      last = Math.max(last, connection.lastProgressNanos());
      feedDown |= !connection.hearsFeed();
    }
    long limit = feedDown ? node.settings().pollMillis() : node.settings().idleCheckMillis();
    if (last != Long.MIN_VALUE && TimeUnit.NANOSECONDS.toMillis(now - last) < limit) {
      return;
    }
    checkedNanos.put(streamId, now);
    node.metrics().idleChecks.increment();
    Optional<StreamInfo> head;
    try {
      head = node.reader().stream(streamId);
    } catch (ChunkLogException.StreamExpired expired) {
      // Each connection's read hears it too, and ends with the expired close.
      connections.forEach(StreamConnection::onMissed);
      return;
    } catch (RuntimeException e) {
      LOG.warn("idle check of stream={} could not read its head: {}", streamId, e.toString());
      return;
    }
    if (head.isEmpty()) {
      return;
    }
    boolean completed = head.get().status() == StreamStatus.COMPLETED;
    for (StreamConnection connection : connections) {
      if (completed || connection.deliveredUpTo() < head.get().headSeq()) {
        connection.onMissed();
      }
    }
  }
}
