package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.RawHttp;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Await;
import io.chunkrelay.testing.Json;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.FanoutSeal;
import java.net.URI;
import java.net.URL;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;

/**
 * An attacker against a node that asks for no token (the embedded run's default, {@code
 * CHUNK_RELAY_AUTH=none}): what reaches "loopback only" from a page the developer opens.
 */
@ExtendWith(ArquillianExtension.class)
class OpenNodeHostileIT {
  private static final String REBOUND = "rebind.attacker.test:18190";

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  private URI node() {
    return URI.create(base.toString());
  }

  private String path(String rest) {
    return node().getPath().replaceAll("/$", "") + rest;
  }

  /** A request as a browser on {@code host} sends it: its Host, and that page's Origin. */
  private RawHttp.Answer asPageOn(String host, String method, String path, String body) {
    String request =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: "
            + host
            + "\r\nOrigin: http://"
            + host
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            + "\r\nConnection: close\r\n\r\n"
            + body;
    return RawHttp.exchange(node(), request, 10_000);
  }

  private RawHttp.Answer handshakeAsPageOn(String host, String stream) {
    return RawHttp.exchange(
        node(),
        "GET "
            + path("/ws/streams/" + stream + "?after=0")
            + " HTTP/1.1\r\nHost: "
            + host
            + "\r\nOrigin: http://"
            + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        10_000);
  }

  @Test
  void aRenamedHostReachesNothingWhileTheNodesOwnNamesAreServed() {
    String stream = "rebind-" + UUID.randomUUID();
    new Http(base).postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "secret reply"));
    String local = "localhost:" + node().getPort();

    for (String[] attempt :
        new String[][] {
          {"GET", path("/"), ""},
          {"GET", path("/api/streams/" + stream + "/chunks?after=0"), ""},
          {"GET", path("/health"), ""},
          {"POST", path("/api/streams/" + stream + "/chunks"), Http.chunk("m", "forged")},
          {"POST", path("/api/streams/" + stream + "/complete"), ""},
          {"POST", path("/demo/replies"), "{\"prompt\":\"hi\"}"},
        }) {
      RawHttp.Answer rebound = asPageOn(REBOUND, attempt[0], attempt[1], attempt[2]);
      assertEquals(421, rebound.status(), attempt[0] + " " + attempt[1] + ": " + rebound);
      assertEquals("host-not-allowed", rebound.code(), rebound.toString());
    }
    RawHttp.Answer socket = handshakeAsPageOn(REBOUND, stream);
    assertEquals(421, socket.status(), "the WebSocket handshake: " + socket);
    assertEquals(
        java.util.List.of(new ChunkTable.Row(1, "m", "secret reply", false)),
        ChunkTable.chunks(stream),
        "a refused request changes nothing");

    // The node's own names stay served, so the refusals above are for the name alone.
    assertEquals(200, asPageOn(local, "GET", path("/api/streams/" + stream), "").status());
    assertEquals(
        200,
        asPageOn("127.0.0.1:" + node().getPort(), "GET", path("/api/streams/" + stream), "")
            .status());
    assertEquals(101, handshakeAsPageOn(local, stream).status());
  }

  @Test
  void fanOutIsSealedOnAnOpenNodeAndWhatTheLogDoesNotBearOutIsNeverShownOrActedOn()
      throws Exception {
    String stream = "forged-" + UUID.randomUUID();
    Http http = new Http(base);
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "real 1"));
    String channel = TestServices.channelPrefix() + "stream:" + stream;
    try (WsClient client =
            WsClient.connect(URI.create(base + "ws/streams/" + stream + "?after=0"));
        Jedis redis = new Jedis(URI.create(TestServices.redisUrl()))) {
      assertEquals(
          1, Json.MAPPER.readTree(client.next(Duration.ofSeconds(10))).get("seq").asLong());

      // Anyone who can PUBLISH to Redis, in the current message format: a chunk, a completion.
      long forgedBefore = http.metric("chunk_relay_live_messages_forged_total");
      redis.publish(channel, FanoutMessage.appended(stream, List.of(chunk(2, "forged"))));
      redis.publish(channel, FanoutMessage.completed(stream, 1));
      Await.until(
          () -> http.metric("chunk_relay_live_messages_forged_total") == forgedBefore + 2,
          Duration.ofSeconds(10));

      // A holder of the deployment's generated key gone wrong: sealed, yet not in the log.
      FanoutSeal seal = FanoutSeal.of(generatedKey());
      long droppedBefore = http.metric("chunk_relay_live_unconfirmed_dropped_total");
      redis.publish(
          channel,
          seal.seal(
              channel, FanoutMessage.appended(stream, List.of(chunk((1L << 53) - 1, "huge")))));
      redis.publish(channel, seal.seal(channel, FanoutMessage.completed(stream, 1)));
      Await.until(
          () -> http.metric("chunk_relay_live_unconfirmed_dropped_total") == droppedBefore + 1,
          Duration.ofSeconds(10));

      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "real 2"));
      http.postJson("api/streams/" + stream + "/complete", "");
      JsonNode second = Json.MAPPER.readTree(client.next(Duration.ofSeconds(10)));
      assertEquals(2, second.get("seq").asLong(), second.toString());
      assertEquals("real 2", second.get("content").asText());
      JsonNode end = Json.MAPPER.readTree(client.next(Duration.ofSeconds(10)));
      assertEquals("complete", end.get("type").asText(), end.toString());
      assertEquals(2, end.get("lastSeq").asLong(), "the end the log holds, not a forged one");
      assertEquals(1000, client.closeCode(Duration.ofSeconds(10)));
    }
  }

  @Test
  void theDemoRefusesPagesOfForeignOriginsAndServesItsOwn() {
    String local = "localhost:" + node().getPort();
    String prompt = "{\"prompt\":\"hello\"}";
    RawHttp.Answer foreign =
        RawHttp.exchange(
            node(),
            "POST "
                + path("/demo/replies")
                + " HTTP/1.1\r\nHost: "
                + local
                + "\r\nOrigin: https://evil.example\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + prompt.length()
                + "\r\nConnection: close\r\n\r\n"
                + prompt,
            10_000);
    assertEquals(403, foreign.status(), foreign.toString());
    assertEquals("origin-not-allowed", foreign.code());
    RawHttp.Answer own = asPageOn(local, "POST", path("/demo/replies"), prompt);
    assertTrue(own.status() == 202 || own.status() == 429, own.toString());
  }

  @Test
  void healthSaysUpOrDownAndNothingOfTheNode() throws Exception {
    Http.Response health = new Http(base).get("health");
    assertEquals(200, health.status());
    java.util.List<String> fields = new java.util.ArrayList<>();
    health.json().fieldNames().forEachRemaining(fields::add);
    assertEquals(java.util.List.of("status", "database", "redis"), fields, health.body());
    assertTrue(!health.body().contains(Integer.toString(node().getPort())), health.body());
  }

  @Test
  void aFoldedOrRepeatedTransferEncodingIsRefusedAndStoresNothing() {
    String local = "localhost:" + node().getPort();
    String body = Http.chunk("m", "smuggled");
    String chunked = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    for (String[] framing :
        new String[][] {
          {"folded", "Transfer-Encoding:\r\n chunked\r\n"},
          {
            "folded beside a Content-Length",
            "Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n"
          },
          // Tomcat refuses this one itself (its own 400), before the application.
          {"repeated", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
        }) {
      String stream = "framing-" + UUID.randomUUID();
      RawHttp.Answer answer =
          RawHttp.exchange(
              node(),
              "POST "
                  + path("/api/streams/" + stream + "/chunks")
                  + " HTTP/1.1\r\nHost: "
                  + local
                  + "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                  + framing[1]
                  + "\r\n"
                  + chunked,
              10_000);
      assertEquals(400, answer.status(), framing[0] + ": " + answer);
      assertTrue(
          answer.code() == null || answer.code().equals("invalid-transfer-encoding"),
          framing[0] + ": " + answer);
      assertEquals(0, ChunkTable.count("streams", stream), framing[0] + " stored something");
    }
  }

  @Test
  void aBrokenChunkSizeIsAnswered400AndKeepsExactlyTheWholeLinesBeforeIt() {
    String stream = "broken-chunk-" + UUID.randomUUID();
    String line = Http.chunk("m", "before the break") + "\n";
    RawHttp.Answer answer =
        postChunks(
            stream,
            "application/x-ndjson",
            Integer.toHexString(line.length()) + "\r\n" + line + "\r\nzz\r\n{}\r\n0\r\n\r\n");
    assertEquals(400, answer.status(), answer.toString());
    assertEquals("malformed-body", answer.code(), answer.toString());
    assertTrue(answer.body().contains("\"count\":"), "it says what was stored: " + answer);
    Await.until(() -> ChunkTable.count("chunks", stream) == 1, Duration.ofSeconds(10));
    assertEquals(
        java.util.List.of(new ChunkTable.Row(1, "m", "before the break", false)),
        ChunkTable.chunks(stream));
    assertEquals(200, new Http(base).get("health").status(), "and the node serves on");
  }

  @Test
  void aBrokenChunkSizeInAJsonBodyIsAnswered400AndStoresNothing() {
    String stream = "broken-json-" + UUID.randomUUID();
    RawHttp.Answer answer = postChunks(stream, "application/json", "zz\r\n{}\r\n0\r\n\r\n");
    assertEquals(400, answer.status(), answer.toString());
    assertEquals("malformed-body", answer.code(), answer.toString());
    assertEquals(0, ChunkTable.count("streams", stream));
  }

  /** An append whose chunked body is {@code chunkedBody} as written, framing and all. */
  private RawHttp.Answer postChunks(String stream, String contentType, String chunkedBody) {
    return RawHttp.exchange(
        node(),
        "POST "
            + path("/api/streams/" + stream + "/chunks")
            + " HTTP/1.1\r\nHost: localhost:"
            + node().getPort()
            + "\r\nContent-Type: "
            + contentType
            + "\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunkedBody,
        10_000);
  }

  private static StoredChunk chunk(long seq, String content) {
    return new StoredChunk(seq, "m", content, false, Instant.now());
  }

  /** The fan-out key the nodes of this run's database generated and share. */
  private static byte[] generatedKey() throws Exception {
    try (Connection connection = TestServices.database().connect();
        ResultSet row =
            connection
                .createStatement()
                .executeQuery("select secret from cluster_keys where name = 'fanout'")) {
      assertTrue(row.next(), "an open node without a configured key generated one");
      return row.getBytes(1);
    }
  }
}
