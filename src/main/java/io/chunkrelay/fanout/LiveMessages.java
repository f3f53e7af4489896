package io.chunkrelay.fanout;

import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.wire.FanoutMessage;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a rolling upgrade lossless: turns a stream channel's messages into live events for the
 * node's listeners, rendering each chunk's frame once for all of them. A message of a version this
 * node does not read sends its listeners to the log instead ({@link LiveListener#onMissed()}); a
 * message that is not Chunk Relay's at all is counted and dropped.
 */
final class LiveMessages {
  private static final Logger LOG = LoggerFactory.getLogger(LiveMessages.class);

  private final Metrics.Counter heard;
  private final Metrics.Counter rejected;
  private final Metrics.Counter unreadable;
  private final Set<Integer> versionsLogged = ConcurrentHashMap.newKeySet();

  LiveMessages(Metrics metrics) {
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
      decoded = FanoutMessage.parse(message);
    } catch (FanoutMessage.UnknownVersion e) {
      unreadable.increment();
      if (versionsLogged.add(e.version())) {
        LOG.warn(
            "messages of fan-out version {} arrive on {}; this node reads version {}, so its"
                + " connections read those chunks from the log (logged once per version)",
            e.version(),
            channel,
            FanoutMessage.VERSION);
      }
      listeners.forEach(LiveListener::onMissed);
      return;
    } catch (IllegalArgumentException e) {
      rejected.increment();
      LOG.warn("ignoring a message on {} that is not Chunk Relay's: {}", channel, e.getMessage());
      return;
    }
    heard.increment();
    LiveEvent event = LiveEvent.of(decoded.chunks(), decoded.completedLastSeq());
    listeners.forEach(listener -> listener.onLive(event));
  }
}
