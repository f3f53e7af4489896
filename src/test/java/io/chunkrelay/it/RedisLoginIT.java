package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.fanout.RedisFeed;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.StoredChunk;
import io.chunkrelay.testing.Await;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * A Redis that wants a login (an ACL user, the default user switched off), as a hardened deployment
 * runs it: the node's publisher and subscriber log in with the user and password of {@code
 * CHUNK_RELAY_REDIS_URL} and fan out sealed messages; a wrong password gets nothing through.
 */
class RedisLoginIT {
  private static final String KEY = "cluster-key-of-at-least-thirty-two-bytes";
  private static RedisServer redis;
  private static int port;

  @BeforeAll
  static void startRedisWithAnAclUser() throws Exception {
    port = LocalServices.freePort();
    redis =
        RedisServer.newRedisServer()
            .bind("127.0.0.1")
            .port(port)
            .setting("save \"\"")
            .setting("appendonly no")
            .setting("user default off")
            .setting("user relay on >relay-pass-1 resetchannels &chunk-relay-login:* ~* +@all")
            .build();
    redis.start();
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.stop();
    }
  }

  private static RedisSettings settings(String userInfo) {
    return new RedisSettings(
        URI.create("redis://" + userInfo + "@127.0.0.1:" + port),
        1_000,
        "chunk-relay-login:",
        Optional.of(KEY),
        List.of());
  }

  @Test
  void theNodeLogsInWithTheUrlsUserAndFansOutSealedMessages() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Metrics metrics = new Metrics();
    List<LiveEvent> heard = new CopyOnWriteArrayList<>();
    try (RedisFeed feed = new RedisFeed(settings("relay:relay-pass-1"), "login-a", timer, metrics);
        Publisher publisher = new Publisher(settings("relay:relay-pass-1"), "login-b", metrics)) {
      feed.start();
      Await.until(feed::isUp, Duration.ofSeconds(10));
      assertTrue(feed.subscribe("s1", recorder(heard)).get(10, TimeUnit.SECONDS));
      StoredChunk chunk = new StoredChunk(1, "m1", "hello", false, Instant.EPOCH);
      assertTrue(publisher.appended("s1", List.of(chunk)));
      Await.until(() -> !heard.isEmpty(), Duration.ofSeconds(10));
      assertTrue(heard.get(0).chunks().get(0).text().contains("hello"));
      assertEquals(0, metrics.value("chunk_relay_live_messages_forged_total"));
    } finally {
      timer.shutdownNow();
    }
  }

  @Test
  void aWrongPasswordGetsNothingThrough() throws Exception {
    Metrics metrics = new Metrics();
    try (Publisher publisher = new Publisher(settings("relay:wrong"), "login-c", metrics)) {
      StoredChunk chunk = new StoredChunk(1, "m1", "hello", false, Instant.EPOCH);
      assertFalse(publisher.appended("s1", List.of(chunk)));
      assertEquals(1, metrics.value("chunk_relay_publish_failures_total"));
    }
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
