package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promise 7 with PostgreSQL cut off: a TCP proxy between the node and PostgreSQL drops every
 * connection. Appends fail fast with 503 and Retry-After and leave nothing behind; acknowledged
 * chunks are kept; when the proxy lets connections through again the node recovers without a
 * restart and its WebSocket client resumes with every chunk once, in order.
 */
class DatabaseOutageIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static FaultyProxy proxy;
  private static TomcatNode node;

  @BeforeAll
  static void start() throws Exception {
    URI database = URI.create(TestServices.database().jdbcUrl().substring("jdbc:".length()));
    proxy = new FaultyProxy(database.getHost(), database.getPort());
    String proxied =
        TestServices.database()
            .jdbcUrl()
            .replace(database.getHost() + ":" + database.getPort(), "127.0.0.1:" + proxy.port());
    node =
        TomcatNode.start(
                "database-outage",
                Map.of(
                    "CHUNK_RELAY_DB_URL",
                    proxied,
                    "CHUNK_RELAY_DB_CONNECT_TIMEOUT_MILLIS",
                    "1000",
                    "CHUNK_RELAY_DB_SOCKET_TIMEOUT_MILLIS",
                    "2000"))
            .awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  @Test
  void appendsFailFastWhileTheDatabaseIsCutAndEverythingResumesAfter() throws Exception {
    Http http = new Http(node.base());
    String stream = "db-outage-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    List<Long> received = new ArrayList<>();
    try (WsClient client = WsClient.connect(node.base().resolve("ws/streams/" + stream))) {
      for (int i = 1; i <= 5; i++) {
        assertEquals(i, http.postJson(chunks, Http.chunk("m", "c" + i)).json().get("seq").asLong());
      }
      client.receiveSeqs(received, 5, Duration.ofSeconds(30));

      proxy.cut();
      for (int attempt = 0; attempt < 3; attempt++) {
        long start = System.nanoTime();
        Http.Response refused = http.postJson(chunks, Http.chunk("m", "during outage"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, refused.status(), refused.body());
        assertEquals("database-unavailable", refused.json().get("code").asText());
        assertNotNull(refused.header("Retry-After"));
        assertTrue(millis < 5_000, "a refused append took " + millis + " ms");
      }
      assertEquals(503, http.get("health").status());

      proxy.heal();
      Http.Response appended = appendOnceRecovered(http, chunks, "c6");
      assertEquals(201, appended.status(), "the node did not recover: " + appended.body());
      assertEquals(6, appended.json().get("seq").asLong(), "nothing partial was left behind");
      for (int i = 7; i <= 10; i++) {
        assertEquals(i, http.postJson(chunks, Http.chunk("m", "c" + i)).json().get("seq").asLong());
      }
      client.receiveSeqs(received, 10, Duration.ofSeconds(30));
    }
    assertEquals(LongStream.rangeClosed(1, 10).boxed().toList(), received);
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(10, rows.size());
    assertTrue(rows.stream().noneMatch(row -> row.content().equals("during outage")));
  }

  @Test
  void appendsFailFastWhileTheDatabaseStallsAndTheNodeRecovers() throws Exception {
    Http http = new Http(node.base());
    String stream = "db-stall-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    assertEquals(1, http.postJson(chunks, Http.chunk("m", "c1")).json().get("seq").asLong());

    proxy.stall();
    try {
      long start = System.nanoTime();
      Http.Response refused = http.postJson(chunks, Http.chunk("m", "during stall"));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(503, refused.status(), refused.body());
      assertNotNull(refused.header("Retry-After"));
      assertTrue(millis < 10_000, "a stalled append took " + millis + " ms");
    } finally {
      proxy.heal();
    }
    Http.Response appended = appendOnceRecovered(http, chunks, "c2");
    assertEquals(201, appended.status(), "the node did not recover: " + appended.body());
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(List.of(1L, 2L), rows.stream().map(ChunkTable.Row::seq).toList());
    assertEquals("c2", rows.get(1).content(), "the stalled append left nothing behind");
  }

  /** Appends once the node reaches PostgreSQL again, retrying for up to 30 s. */
  private static Http.Response appendOnceRecovered(Http http, String path, String content) {
    return await("an append the recovered node stores")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> http.postJson(path, Http.chunk("m", content)), r -> r.status() == 201);
  }
}
