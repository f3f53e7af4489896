package io.chunkrelay.fanout;

import io.chunkrelay.delivery.LiveListener;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Keeps the "Redis confirmed the SUBSCRIBE" of promise 4 (subscribe first, then backfill) honest
 * for every stream a node listens to: the node's topic registry, one entry a stream with a local
 * reference count of listeners, and whether Redis confirmed that stream's SUBSCRIBE on the current
 * connection.
 *
 * <p>Not thread-safe: {@link RedisFeed} calls it under its one lock, so that a topic's state and
 * the connection's state change together. Futures are returned to be completed, and listeners to be
 * told, after that lock is released.
 */
final class Topics {
  private final Map<String, Topic> topics = new HashMap<>();

  /** One stream's listeners and the state of its SUBSCRIBE on the current connection. */
  private static final class Topic {
    final Set<LiveListener> listeners = new CopyOnWriteArraySet<>();
    final List<CompletableFuture<Boolean>> waiting = new ArrayList<>();
    boolean confirmed;
    boolean resubscribing;
  }

  /** What {@link #add} decided: the answer for the listener, and whether to send a SUBSCRIBE. */
  record Added(CompletableFuture<Boolean> confirmation, boolean subscribe) {}

  /** What a SUBSCRIBE confirmation releases: waiting subscribers and listeners to tell "up". */
  record Confirmed(List<CompletableFuture<Boolean>> waiting, List<LiveListener> recovered) {
    static final Confirmed NOTHING = new Confirmed(List.of(), List.of());
  }

  /** What losing the connection undoes: futures to fail and listeners to tell "down". */
  record Lost(List<CompletableFuture<Boolean>> waiting, List<LiveListener> listeners) {}

  /**
   * Adds a listener to the stream's topic. With the feed down the answer is {@code false} at once;
   * with the topic confirmed, {@code true} at once; else a future that the confirmation completes.
   */
  Added add(String streamId, LiveListener listener, boolean feedUp) {
    Topic topic = topics.get(streamId);
    boolean first = topic == null;
    if (first) {
      topic = new Topic();
      topics.put(streamId, topic);
    }
    topic.listeners.add(listener);
    if (!feedUp) {
      return new Added(CompletableFuture.completedFuture(false), false);
    }
    if (topic.confirmed) {
      return new Added(CompletableFuture.completedFuture(true), false);
    }
    CompletableFuture<Boolean> confirmation = new CompletableFuture<>();
    topic.waiting.add(confirmation);
    return new Added(confirmation, first);
  }

  /** Removes a listener; returns whether it was the stream's last (UNSUBSCRIBE it). */
  boolean remove(String streamId, LiveListener listener) {
    Topic topic = topics.get(streamId);
    if (topic == null || !topic.listeners.remove(listener) || !topic.listeners.isEmpty()) {
      return false;
    }
    topics.remove(streamId);
    return true;
  }

  /** Redis confirmed the stream's SUBSCRIBE on the current connection. */
  Confirmed confirmed(String streamId) {
    Topic topic = streamId == null ? null : topics.get(streamId);
    if (topic == null) {
      return Confirmed.NOTHING;
    }
    topic.confirmed = true;
    List<CompletableFuture<Boolean>> waiting = List.copyOf(topic.waiting);
    topic.waiting.clear();
    List<LiveListener> recovered = List.of();
    if (topic.resubscribing) {
      topic.resubscribing = false;
      recovered = List.copyOf(topic.listeners);
    }
    return new Confirmed(waiting, recovered);
  }

  /**
   * A new connection works: every stream in use must be subscribed again, and its listeners told
   * once it is; returns those streams.
   */
  List<String> resubscribeAll() {
    topics.values().forEach(topic -> topic.resubscribing = true);
    return new ArrayList<>(topics.keySet());
  }

  /** The connection is gone: nothing is confirmed any more. */
  Lost lost(boolean wasUp) {
    List<CompletableFuture<Boolean>> waiting = new ArrayList<>();
    List<LiveListener> listeners = new ArrayList<>();
    for (Topic topic : topics.values()) {
      topic.confirmed = false;
      waiting.addAll(topic.waiting);
      topic.waiting.clear();
      if (wasUp) {
        listeners.addAll(topic.listeners);
      }
    }
    return new Lost(waiting, listeners);
  }

  /** The stream's listeners (a live view, safe to iterate outside the lock), or none. */
  Set<LiveListener> listeners(String streamId) {
    Topic topic = streamId == null ? null : topics.get(streamId);
    return topic == null ? Set.of() : topic.listeners;
  }
}
