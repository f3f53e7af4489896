package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promise 7, the outbox: chunks a node committed but could never publish (its Redis is unreachable,
 * as for a node that died between commit and publish) reach clients of another node through the
 * outbox relay, well before any idle check would have found them, and the published_seq watermark
 * catches up.
 */
class OutboxRelayIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static TomcatNode relaying;
  private static TomcatNode mute;

  @BeforeAll
  static void startNodes() throws Exception {
    // The relaying node starts first, so it holds the relay's lock.
    relaying =
        TomcatNode.start(
                "outbox-relaying",
                Map.of(
                    "CHUNK_RELAY_IDLE_CHECK_MILLIS", "600000",
                    "CHUNK_RELAY_OUTBOX_RELAY_AFTER_MILLIS", "500"))
            .awaitHealthy(Duration.ofSeconds(120));
    awaitMetric(relaying, "chunk_relay_outbox_leader", 1);
    mute =
        TomcatNode.start(
                "outbox-mute",
                Map.of(
                    "CHUNK_RELAY_REDIS_URL",
                    "redis://127.0.0.1:1",
                    "CHUNK_RELAY_REDIS_TIMEOUT_MILLIS",
                    "200"))
            .awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stopNodes() throws Exception {
    for (TomcatNode node : new TomcatNode[] {mute, relaying}) {
      if (node != null) {
        node.close();
      }
    }
  }

  @Test
  void chunksCommittedButNeverPublishedReachClientsThroughTheRelay() throws Exception {
    String stream = "outbox-" + UUID.randomUUID();
    Http good = new Http(relaying.base());
    Http silent = new Http(mute.base());
    good.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "published"));
    try (WsClient client = WsClient.connect(relaying.base().resolve("ws/streams/" + stream))) {
      assertEquals(1, JSON.readTree(client.next(Duration.ofSeconds(30))).get("seq").asLong());
      for (int i = 2; i <= 5; i++) {
        Http.Response response =
            silent.postJson(
                "api/streams/" + stream + "/chunks", Http.chunk("m", "unpublished " + i));
        assertEquals(201, response.status(), response.body());
      }
      long start = System.nanoTime();
      for (int seq = 2; seq <= 5; seq++) {
        // The idle check is ten minutes away: only the relay can deliver these in time.
        assertEquals(seq, JSON.readTree(client.next(Duration.ofSeconds(15))).get("seq").asLong());
      }
      System.out.printf(
          "outbox relay delivered unpublished chunks after %d ms%n",
          (System.nanoTime() - start) / 1_000_000);
    }
    await("the watermark to catch up with the head")
        .atMost(Duration.ofSeconds(15))
        .until(() -> ChunkTable.publishedSeq(stream) == 5);
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::seq).toList(),
        "the table holds 1..5 without gap or duplicate");
  }

  private static void awaitMetric(TomcatNode node, String name, long value) {
    Http http = new Http(node.base());
    await(node.name() + " to report " + name + " " + value)
        .atMost(Duration.ofSeconds(30))
        .until(() -> http.metric(name) == value);
  }
}
