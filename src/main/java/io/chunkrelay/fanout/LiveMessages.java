package io.chunkrelay.fanout;

import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.FanoutSeal;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a rolling upgrade lossless: turns a stream channel's messages into live events for the
 * node's listeners, rendering each chunk's frame once for all of them. A message of a version this
 * node does not read sends its listeners to the log instead ({@link LiveListener#onMissed()}); so
 * does a message whose seal does not open ({@link FanoutSeal}: someone without the cluster key
 * published it), which is counted and dropped, so the page always equals the log. A message that is
 * not Chunk Relay's at all is counted and dropped. Each kind is logged once a minute at most, with
 * how many more there were ({@link LogLimiter}): a flood of junk on a channel does not flood the
 * log.
 */
final class LiveMessages {
  private static final Logger LOG = LoggerFactory.getLogger(LiveMessages.class);
  private static final LogLimiter LOGS = new LogLimiter();

  private final Metrics.Counter heard;
  private final Metrics.Counter rejected;
  private final Metrics.Counter unreadable;
  private final Metrics.Counter forged;
  private final FanoutSeal seal;

  LiveMessages(FanoutSeal seal, Metrics metrics) {
    this.seal = seal;
    forged =
        metrics.counter(
            "chunk_relay_live_messages_forged_total",
            "messages whose seal did not open: published to Redis by someone without the cluster"
                + " key (dropped; their streams' connections read the log)");
    heard = metrics.counter("chunk_relay_live_messages_total", "messages heard from Redis");
    rejected =
        metrics.counter(
            "chunk_relay_live_messages_rejected_total", "channel messages that were not ours");
    unreadable =
        metrics.counter(
            "chunk_relay_live_messages_unreadable_total",
            "messages of a fan-out version this node does not read (their chunks come from the log)");
  }

  /** Decodes one message heard on {@code channel} and hands it to the stream's listeners. */
  void deliver(String channel, String message, Set<LiveListener> listeners) {
    FanoutMessage decoded;
    try {
      decoded = FanoutMessage.parse(seal.open(channel, message));
    } catch (FanoutSeal.Forged e) {
      forged.increment();
      LOGS.warn(
          LOG,
          "forged",
          "dropped a message on {} whose seal does not open ({}): someone without the cluster"
              + " key publishes to this Redis (chunk_relay_live_messages_forged_total counts them)",
          channel,
          e.getMessage());
      // What it claimed may hide a real chunk: the stream's connections check the log.
      listeners.forEach(LiveListener::onMissed);
      return;
    } catch (FanoutMessage.UnknownVersion e) {
      unreadable.increment();
      LOGS.warn(
          LOG,
          "unreadable-version",
          "messages of fan-out version {} arrive on {}; this node reads version {}, so its"
              + " connections read those chunks from the log",
          e.version(),
          channel,
          FanoutMessage.VERSION);
      listeners.forEach(LiveListener::onMissed);
      return;
    } catch (IllegalArgumentException e) {
      rejected.increment();
      LOGS.warn(
          LOG,
          "not-ours",
          "ignoring a sealed message on {} that is not Chunk Relay's: {}",
          channel,
          e.getMessage());
      return;
    }
    heard.increment();
    LiveEvent event = LiveEvent.of(decoded.chunks(), decoded.completedLastSeq());
    listeners.forEach(listener -> listener.onLive(event));
  }
}
