package io.chunkrelay.delivery;

import io.chunkrelay.config.RelayConfig.DeliverySettings;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.ChunkReader;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A node's delivery service: what every {@link StreamConnection} shares (the chunk log, the live
 * feed, the registry, a small thread pool, a timer, the settings) and the door to open one.
 */
public final class Delivery implements AutoCloseable {
  private static final int POOL_THREADS = 8;

  /** How long a shutdown waits for connections to say goodbye. */
  private static final long GOING_AWAY_SECONDS = 2;

  private final ChunkReader reader;
  private final LiveFeed feed;
  private final DeliverySettings settings;
  private final int pageChunks;
  private final DeliveryHooks hooks;
  private final DeliveryMetrics metrics;
  private final ConnectionRegistry registry = new ConnectionRegistry();
  private final ExecutorService pool;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier nanoTime;

  /** Counters of delivery, registered in the node's metrics. */
  static final class DeliveryMetrics {
    final Metrics.Counter framesSent;
    final Metrics.Counter backfillReads;
    final Metrics.Counter lagging;
    final Metrics.Counter duplicatesDropped;
    final Metrics.Counter idleChecks;
    final Metrics.HighWater queueFrames;
    final Metrics.HighWater queueBytes;

    DeliveryMetrics(Metrics metrics, ConnectionRegistry registry) {
      framesSent =
          metrics.counter("chunk_relay_ws_frames_sent_total", "WebSocket frames sent to clients");
      backfillReads =
          metrics.counter(
              "chunk_relay_backfill_reads_total", "reads of the chunk log by connections");
      lagging =
          metrics.counter(
              "chunk_relay_lagging_total",
              "times a connection's outbound queue was full and it fell back to the log");
      duplicatesDropped =
          metrics.counter(
              "chunk_relay_live_duplicates_dropped_total",
              "live chunks dropped because the connection already had them");
      idleChecks =
          metrics.counter(
              "chunk_relay_idle_checks_total", "log reads because an open stream was silent");
      queueFrames =
          metrics.highWater(
              "chunk_relay_outbound_queue_frames_max",
              "deepest any outbound queue has been, frames");
      queueBytes =
          metrics.highWater(
              "chunk_relay_outbound_queue_bytes_max", "deepest any outbound queue has been, bytes");
      metrics.gauge("chunk_relay_ws_connections", "open WebSocket connections", registry::size);
      metrics.gauge(
          "chunk_relay_ws_connections_lagging",
          "connections whose outbound queue is full",
          () -> registry.count(DeliveryState.LAGGING));
    }
  }

  public Delivery(
      ChunkReader reader,
      LiveFeed feed,
      DeliverySettings settings,
      int pageChunks,
      DeliveryHooks hooks,
      Metrics metrics) {
    this(reader, feed, settings, pageChunks, hooks, metrics, System::nanoTime);
  }

  Delivery(
      ChunkReader reader,
      LiveFeed feed,
      DeliverySettings settings,
      int pageChunks,
      DeliveryHooks hooks,
      Metrics metrics,
      LongSupplier nanoTime) {
    this.reader = reader;
    this.feed = feed;
    this.settings = settings;
    this.pageChunks = Math.min(pageChunks, settings.maxQueuedFrames());
    this.hooks = hooks;
    this.metrics = new DeliveryMetrics(metrics, registry);
    this.nanoTime = nanoTime;
    this.pool = Executors.newFixedThreadPool(POOL_THREADS, named("chunk-relay-delivery"));
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(named("chunk-relay-delivery-timer"));
  }

  /**
   * Opens delivery of {@code streamId} from seq {@code after + 1} to {@code sink}; the connection
   * registers and subscribes on its own executor.
   */
  public StreamConnection open(String connectionId, String streamId, long after, FrameSink sink) {
    StreamConnection connection = new StreamConnection(this, connectionId, streamId, after, sink);
    connection.start();
    return connection;
  }

  public ConnectionRegistry registry() {
    return registry;
  }

  /** Closes every connection with 1001 (going away), then stops the threads. */
  @Override
  public void close() {
    List<StreamConnection> open = registry.all();
    open.forEach(StreamConnection::goAway);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GOING_AWAY_SECONDS);
    while (registry.size() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    scheduler.shutdownNow();
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  ChunkReader reader() {
    return reader;
  }

  LiveFeed feed() {
    return feed;
  }

  DeliverySettings settings() {
    return settings;
  }

  int pageChunks() {
    return pageChunks;
  }

  DeliveryHooks hooks() {
    return hooks;
  }

  DeliveryMetrics metrics() {
    return metrics;
  }

  ExecutorService pool() {
    return pool;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  long nanoTime() {
    return nanoTime.getAsLong();
  }

  static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
