package io.chunkrelay.delivery;

import io.chunkrelay.config.RelayConfig.DeliverySettings;
import io.chunkrelay.store.ChunkReader;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Keeps each connection free of a service locator.
 *
 * <p>What every connection of a node shares, handed to each {@link StreamConnection} when it is
 * made: the log to read, the feed to hear, the registry that decides who may be sent to, the
 * settings, the test hooks, the metrics, the threads and the clock.
 *
 * @param pageChunks how many chunks one read of the log asks for
 * @param nanoTime the monotonic clock for idle checks
 */
record DeliveryContext(
    ChunkReader reader,
    LiveFeed feed,
    ConnectionRegistry registry,
    DeliverySettings settings,
    int pageChunks,
    DeliveryHooks hooks,
    DeliveryMetrics metrics,
    Executor pool,
    ScheduledExecutorService timer,
    LongSupplier nanoTime) {}
