package io.chunkrelay.outbox;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.ChunkReader;
import io.chunkrelay.store.Outbox;
import io.chunkrelay.store.Outbox.Unpublished;
import io.chunkrelay.store.RelayLock;
import io.chunkrelay.store.StoreException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the second half of promise 7 (Redis accelerates, PostgreSQL decides), "a node that dies
 * between commit and publish loses nothing": publishes what was committed but not published for
 * longer than {@code relayAfterMillis} (the chunks of a node that died between commit and publish,
 * or of a Redis outage). Every node flushes its watermarks on each tick; one node at a time, the
 * holder of the {@link RelayLock}, also relays. If that node dies, its lock is freed with its
 * session and another node takes over at its next tick.
 */
public final class OutboxRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

  private static final int STREAMS_PER_TICK = 100;
  private static final int CHUNKS_PER_PUBLISH = 500;

  /** How much further back than three relay delays each tick looks, milliseconds. */
  private static final long RECENT_MARGIN_MILLIS = 2_000;

  /** How often the relay looks at every stream, seconds. */
  private static final long SWEEP_SECONDS = 60;

  private final Outbox outbox;
  private final RelayLock lock;
  private final ChunkReader reader;
  private final Publisher publisher;
  private final Watermarks watermarks;
  private final Clock clock;
  private final long relayAfterMillis;
  private final ScheduledExecutorService timer;
  private final String nodeId;
  private final Metrics.Counter relayed;
  private final AtomicLong lagMillis = new AtomicLong();
  private boolean leading;
  private Instant lastSweep;

  public OutboxRelay(
      Outbox outbox,
      ChunkReader reader,
      Publisher publisher,
      Watermarks watermarks,
      Clock clock,
      long relayAfterMillis,
      ScheduledExecutorService timer,
      String nodeId,
      Metrics metrics) {
    this.outbox = outbox;
    this.lock = outbox.relayLock();
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
        "chunk_relay_outbox_leader", "1 on the node that relays", () -> lock.isHeld() ? 1 : 0);
  }

  public void start() {
    long every = Math.max(50, Math.min(1_000, relayAfterMillis / 2));
    timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
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

  /** Takes or keeps the relay's lock; returns whether this node relays. */
  private boolean lead() {
    boolean leads = lock.holdOrTake();
    if (leads != leading) {
      leading = leads;
      lastSweep = null;
      LOG.info("node {} {} the outbox relay", nodeId, leads ? "is now" : "is no longer");
    }
    return leads;
  }

  /**
   * Looks at the streams appended to lately (three times {@code relayAfterMillis} and two seconds
   * back: what is due now, with room for slow commits); every {@value #SWEEP_SECONDS} s, and when
   * it starts to relay, at all streams (what stayed unpublished longer, say through a long Redis
   * outage or a commit slower than that, is found there).
   */
  private void relayOnce() {
    Instant now = clock.instant();
    List<Unpublished> streams;
    try {
      if (lastSweep == null || now.isAfter(lastSweep.plusSeconds(SWEEP_SECONDS))) {
        streams = outbox.unpublished(STREAMS_PER_TICK);
        if (streams.size() < STREAMS_PER_TICK) {
          lastSweep = now;
        }
      } else {
        streams =
            outbox.unpublishedSince(
                now.minusMillis(3 * relayAfterMillis + RECENT_MARGIN_MILLIS), STREAMS_PER_TICK);
      }
    } catch (StoreException e) {
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

  @Override
  public void close() {
    lock.close();
  }
}
