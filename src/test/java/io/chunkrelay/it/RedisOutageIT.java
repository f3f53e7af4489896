package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.testing.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Promise 7, Redis down: a node with a Redis of its own (started by the test on its own port) keeps
 * accepting appends and delivering from the log while that Redis is stopped, and when it is started
 * again the subscriber comes back by itself; the client sees every chunk once, in order.
 */
class RedisOutageIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static int redisPort;
  private static RedisServer redis;
  private static TomcatNode node;

  @BeforeAll
  static void start() throws Exception {
    redisPort = LocalServices.freePort();
    redis = TestServices.redisServer(redisPort);
    redis.start();
    node =
        TomcatNode.start(
                "redis-outage",
                Map.of(
                    "CHUNK_RELAY_REDIS_URL",
                    "redis://127.0.0.1:" + redisPort,
                    "CHUNK_RELAY_REDIS_TIMEOUT_MILLIS",
                    "300"))
            .awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (redis != null && redis.isActive()) {
      redis.stop();
    }
  }

  @Test
  void deliveryContinuesFromTheLogWhileRedisIsDownAndRecoversWhenItReturns() throws Exception {
    Http http = new Http(node.base());
    String stream = "redis-outage-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    List<Long> received = new ArrayList<>();
    try (WsClient client = WsClient.connect(node.base().resolve("ws/streams/" + stream))) {
      append(http, chunks, 1, 5);
      client.receiveSeqs(received, 5, Duration.ofSeconds(20));
      assertEquals("up", http.get("health").json().get("redis").asText());
      long connectsBefore = http.metric("chunk_relay_redis_reconnects_total");
      assertTrue(connectsBefore >= 1, "the subscriber connected at start-up");

      redis.stop();
      awaitRedis(http, "down");
      append(http, chunks, 6, 15);
      client.receiveSeqs(received, 15, Duration.ofSeconds(20));

      redis = TestServices.redisServer(redisPort);
      redis.start();
      awaitRedis(http, "up");
      append(http, chunks, 16, 25);
      client.receiveSeqs(received, 25, Duration.ofSeconds(20));
      assertTrue(
          http.metric("chunk_relay_redis_reconnects_total") > connectsBefore,
          "the subscriber connected again when Redis returned");
      // The relay republishes 6..15 once Redis is back: the client must not see them twice.
      await("the relay's watermark over all 25 chunks")
          .atMost(Duration.ofSeconds(30))
          .until(() -> ChunkTable.publishedSeq(stream) == 25);
      assertTrue(
          http.metric("chunk_relay_outbox_relayed_chunks_total") >= 10,
          "the relay republished what the outage left unpublished");
      try {
        received.add(JSON.readTree(client.next(Duration.ofMillis(500))).get("seq").asLong());
      } catch (AssertionError nothingMore) {
        // as it should be: every republished seq was one the client had
      }
    }
    assertEquals(LongStream.rangeClosed(1, 25).boxed().toList(), received);
    assertEquals(
        LongStream.rangeClosed(1, 25).boxed().toList(),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::seq).toList(),
        "the table holds 1..25 without gap or duplicate");
  }

  private static void append(Http http, String path, int from, int to) {
    for (int i = from; i <= to; i++) {
      Http.Response response = http.postJson(path, Http.chunk("m", "chunk " + i));
      assertEquals(201, response.status(), response.body());
      assertEquals(i, response.json().get("seq").asLong());
    }
  }

  private static void awaitRedis(Http http, String state) {
    await("the node to see Redis " + state)
        .atMost(Duration.ofSeconds(30))
        .until(() -> state.equals(http.get("health").json().get("redis").asText()));
  }
}
