package io.chunkrelay.delivery;

import io.chunkrelay.config.RelayConfig.DeliverySettings;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.ChunkReader;
import io.chunkrelay.threads.OwnThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 3 to 6 (exactly once, in order; subscribe first, then backfill; lossless under
 * pressure; fail closed) for a whole node: the door through which WebSocket connections enter
 * delivery. It owns what every {@link StreamConnection} shares (a {@link DeliveryContext}: the
 * registry, a small thread pool, a timer) and closes them all with 1001 when the node stops.
 */
public final class Delivery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
  private static final int POOL_THREADS = 8;

  /** How long a shutdown waits for connections to say goodbye. */
  private static final long GOING_AWAY_SECONDS = 2;

  /** How long a shutdown waits for the delivery threads to end. */
  private static final Duration THREADS_STOP = Duration.ofSeconds(5);

  private final DeliveryContext context;
  private final ExecutorService pool;
  private final ScheduledExecutorService timer;
  private final IdleWatch idleWatch;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final OwnThreads threads = new OwnThreads();

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
    ConnectionRegistry registry = new ConnectionRegistry();
    DeliveryMetrics deliveryMetrics = new DeliveryMetrics(metrics, registry);
    this.pool =
        Executors.newFixedThreadPool(POOL_THREADS, threads.numbered("chunk-relay-delivery"));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(threads.numbered("chunk-relay-delivery-timer"));
    this.context =
        new DeliveryContext(
            new SharedReads(reader, deliveryMetrics),
            feed,
            registry,
            settings,
            Math.min(pageChunks, settings.maxQueuedFrames()),
            hooks,
            deliveryMetrics,
            pool,
            timer,
            nanoTime);
    this.idleWatch = new IdleWatch(context);
    idleWatch.start();
  }

  /**
   * Opens delivery of {@code streamId} from seq {@code after + 1} to {@code sink}; the connection
   * registers and subscribes on its own executor.
   */
  public StreamConnection open(String connectionId, String streamId, long after, FrameSink sink) {
    StreamConnection connection = connection(connectionId, streamId, after, sink);
    if (stopping.get()) {
      connection.goAway();
    } else {
      connection.start();
    }
    return connection;
  }

  /** A connection not yet started: nothing registered, subscribed or sent. */
  StreamConnection connection(String connectionId, String streamId, long after, FrameSink sink) {
    return new StreamConnection(context, connectionId, streamId, after, sink);
  }

  public ConnectionRegistry registry() {
    return context.registry();
  }

  /**
   * Closes every connection with 1001 (going away) and waits, up to {@value #GOING_AWAY_SECONDS} s,
   * until each has closed; from now on a connection that opens is closed with 1001 at once. Called
   * by the container edge as soon as the web application begins to stop, while the WebSocket
   * implementation can still send (Tyrus stops sending when its filter is destroyed, before the
   * node is closed); {@link #close} calls it too. Only the first call does anything.
   */
  public void goAway() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    idleWatch.stop();
    ConnectionRegistry registry = context.registry();
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
    LOG.info(
        "said going away (1001) to {} WebSocket connections; {} still open",
        open.size(),
        registry.size());
  }

  /** {@link #goAway}, then stops the threads. */
  @Override
  public void close() {
    goAway();
    timer.shutdownNow();
    pool.shutdownNow();
    threads.awaitEnd(THREADS_STOP);
  }
}
