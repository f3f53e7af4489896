package io.chunkrelay.delivery;

import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 5 (lossless under pressure) observable. Makes delivery observable: the node's
 * delivery counters and gauges, shared by connections.
 */
final class DeliveryMetrics implements SeqMerger.Tally {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryMetrics.class);
  private static final LogLimiter LOGS = new LogLimiter();
  final Metrics.Counter framesSent;
  final Metrics.Counter backfillReads;
  final Metrics.Counter idleChecks;
  final Metrics.Counter sharedReads;
  private final Metrics.Counter lagging;
  private final Metrics.Counter duplicatesDropped;
  private final Metrics.Counter unconfirmedDropped;
  private final Metrics.HighWater queueFrames;
  private final Metrics.HighWater queueBytes;

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
    unconfirmedDropped =
        metrics.counter(
            "chunk_relay_live_unconfirmed_dropped_total",
            "live chunks dropped because the log did not hold them after "
                + SeqMerger.CONFIRMING_READS
                + " reads (a sealed message naming a seq nobody committed)");
    idleChecks =
        metrics.counter(
            "chunk_relay_idle_checks_total",
            "reads of a silent stream's head, one per stream per interval, not per connection");
    sharedReads =
        metrics.counter(
            "chunk_relay_shared_reads_total",
            "reads of the chunk log a connection did not make because another connection of the"
                + " node was reading the same range");
    queueFrames =
        metrics.highWater(
            "chunk_relay_outbound_queue_frames_max", "deepest any outbound queue has been, frames");
    queueBytes =
        metrics.highWater(
            "chunk_relay_outbound_queue_bytes_max", "deepest any outbound queue has been, bytes");
    metrics.gauge("chunk_relay_ws_connections", "open WebSocket connections", registry::size);
    metrics.gauge(
        "chunk_relay_ws_connections_lagging",
        "connections whose outbound queue is full",
        () -> registry.count(DeliveryState.LAGGING));
  }

  @Override
  public void duplicateDropped() {
    duplicatesDropped.increment();
  }

  @Override
  public void unconfirmedDropped(int chunks) {
    unconfirmedDropped.add(chunks);
    LOGS.warn(
        LOG,
        "unconfirmed-live-chunk",
        "dropped {} live chunks that the log does not hold: a message sealed with the fan-out key"
            + " named seqs nobody committed (chunk_relay_live_unconfirmed_dropped_total counts them)",
        chunks);
  }

  @Override
  public void lagged() {
    lagging.increment();
  }

  @Override
  public void queued(int frames, long bytes) {
    queueFrames.observe(frames);
    queueBytes.observe(bytes);
  }
}
