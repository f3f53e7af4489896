package io.chunkrelay.delivery;

import io.chunkrelay.chunk.StoredChunk;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * A live feed the test drives by hand: it decides when a SUBSCRIBE is confirmed, whether the feed
 * is up, and publishes (or loses) events.
 */
final class FakeFeed implements LiveFeed {
  private final Map<String, Set<LiveListener>> listeners = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Boolean>> pending = new ConcurrentHashMap<>();
  private volatile boolean up = true;
  private volatile boolean confirmAtOnce = true;

  @Override
  public CompletableFuture<Boolean> subscribe(String streamId, LiveListener listener) {
    listeners.computeIfAbsent(streamId, s -> new CopyOnWriteArraySet<>()).add(listener);
    if (!up) {
      return CompletableFuture.completedFuture(false);
    }
    if (confirmAtOnce) {
      return CompletableFuture.completedFuture(true);
    }
    return pending.computeIfAbsent(streamId, s -> new CompletableFuture<>());
  }

  @Override
  public void unsubscribe(String streamId, LiveListener listener) {
    Set<LiveListener> set = listeners.get(streamId);
    if (set != null) {
      set.remove(listener);
    }
  }

  /** Subscriptions wait for {@link #confirm} instead of being confirmed at once. */
  void holdConfirmations() {
    confirmAtOnce = false;
  }

  void confirm(String streamId) {
    pending.computeIfAbsent(streamId, s -> new CompletableFuture<>()).complete(true);
  }

  int listenerCount(String streamId) {
    return listeners.getOrDefault(streamId, Set.of()).size();
  }

  void publish(String streamId, StoredChunk... chunks) {
    LiveEvent event = LiveEvent.of(List.of(chunks), LiveEvent.NOT_COMPLETED);
    listeners.getOrDefault(streamId, Set.of()).forEach(l -> l.onLive(event));
  }

  void publishCompleted(String streamId, long lastSeq) {
    LiveEvent event = new LiveEvent(List.of(), lastSeq);
    listeners.getOrDefault(streamId, Set.of()).forEach(l -> l.onLive(event));
  }

  /**
   * A message on the stream's channel that this node cannot read: its listeners must read the log.
   */
  void unreadable(String streamId) {
    listeners.getOrDefault(streamId, Set.of()).forEach(LiveListener::onMissed);
  }

  void down() {
    up = false;
    listeners.values().forEach(set -> set.forEach(LiveListener::onFeedDown));
  }

  void upAgain() {
    up = true;
    listeners.values().forEach(set -> set.forEach(LiveListener::onFeedUp));
  }
}
