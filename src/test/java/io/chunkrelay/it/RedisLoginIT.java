package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.it.support.RedisRoundTrip;
import io.chunkrelay.launch.LocalServices;
import java.net.URI;
import java.util.List;
import java.util.Optional;
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
    assertTrue(RedisRoundTrip.heard(settings("relay:relay-pass-1"), "hello").contains("hello"));
  }

  @Test
  void aWrongPasswordGetsNothingThrough() {
    RedisRoundTrip.Published published = RedisRoundTrip.publish(settings("relay:wrong"));
    assertFalse(published.accepted());
    assertEquals(1, published.metrics().value("chunk_relay_publish_failures_total"));
  }
}
