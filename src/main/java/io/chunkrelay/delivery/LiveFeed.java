package io.chunkrelay.delivery;

import java.util.concurrent.CompletableFuture;

/**
 * Keeps the contract of promise 4 (subscribe first, then backfill): a subscription counts only once
 * confirmed.
 *
 * <p>A node's source of live chunks: Redis Pub/Sub in production ({@code
 * io.chunkrelay.fanout.RedisFeed}), a hand-driven fake in unit tests.
 */
public interface LiveFeed {
  /**
   * Starts delivering the stream's events to {@code listener}. The future completes with {@code
   * true} once the subscription is confirmed (every event published from then on will reach the
   * listener), or with {@code false} when the feed is down (events may be missed; read the log).
   */
  CompletableFuture<Boolean> subscribe(String streamId, LiveListener listener);

  void unsubscribe(String streamId, LiveListener listener);
}
