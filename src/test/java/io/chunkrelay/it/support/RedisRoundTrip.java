package io.chunkrelay.it.support;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.fanout.RedisFeed;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.testing.Await;
import io.chunkrelay.wire.FanoutSeal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One chunk through a Redis the way nodes send it: a node's subscriber ({@link RedisFeed}) follows
 * a stream while another node's {@link Publisher} announces a chunk of it, both reaching Redis with
 * the same settings (login, TLS, cluster key).
 */
public final class RedisRoundTrip {
  private RedisRoundTrip() {}

  /** What a publish of one chunk did: whether Redis took it, and the publisher's metrics. */
  public record Published(boolean accepted, Metrics metrics) {}

  /** Publishes a chunk of {@code text} and returns the text of the chunk the subscriber heard. */
  public static String heard(RedisSettings settings, String text) throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Metrics metrics = new Metrics();
    List<LiveEvent> heard = new CopyOnWriteArrayList<>();
    try (RedisFeed feed =
            new RedisFeed(settings, seal(settings), "round-trip-feed", timer, metrics);
        Publisher publisher =
            new Publisher(settings, seal(settings), "round-trip-publisher", metrics)) {
      feed.start();
      Await.until(feed::isUp, Duration.ofSeconds(10));
      if (!feed.subscribe("s1", recorder(heard)).get(10, TimeUnit.SECONDS)) {
        throw new AssertionError("the subscription was not confirmed");
      }
      if (!publisher.appended("s1", List.of(chunk(text)))) {
        throw new AssertionError("the publish failed");
      }
      Await.until(() -> !heard.isEmpty(), Duration.ofSeconds(10));
      if (metrics.value("chunk_relay_live_messages_forged_total") != 0) {
        throw new AssertionError("a node's own message failed its seal");
      }
      return heard.get(0).chunks().get(0).text();
    } finally {
      timer.shutdownNow();
    }
  }

  /** Publishes one chunk without anyone listening. */
  public static Published publish(RedisSettings settings) {
    Metrics metrics = new Metrics();
    try (Publisher publisher =
        new Publisher(settings, seal(settings), "round-trip-publisher", metrics)) {
      return new Published(publisher.appended("s1", List.of(chunk("hello"))), metrics);
    }
  }

  /** The cluster key of {@code settings}, or one for this round trip alone. */
  private static FanoutSeal seal(RedisSettings settings) {
    return FanoutSeal.of(settings.fanoutKey().orElse("a-round-trip-key-of-thirty-two-bytes!"));
  }

  private static StoredChunk chunk(String text) {
    return new StoredChunk(1, "m1", text, false, Instant.EPOCH);
  }

  private static LiveListener recorder(List<LiveEvent> heard) {
    return new LiveListener() {
      @Override
      public void onLive(LiveEvent event) {
        heard.add(event);
      }

      @Override
      public void onMissed() {}

      @Override
      public void onFeedDown() {}

      @Override
      public void onFeedUp() {}
    };
  }
}
