package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.StalledClients;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Await;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bounded floods against a node with small limits: a producer past its rate gets 429 with
 * Retry-After and writes nothing more, an address past its connections gets 429 at the handshake,
 * and through it all, and through a crowd of requests that never finish their headers or bodies, a
 * well-behaved client is served at once.
 */
@ExtendWith(ArquillianExtension.class)
class LimitsIT {
  private static final int APPENDS_PER_SECOND = 5;
  private static final int CONNECTIONS_PER_ADDRESS = 3;

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.securedWar(
        Map.of(
            "CHUNK_RELAY_RATE_APPENDS_PER_SECOND", Integer.toString(APPENDS_PER_SECOND),
            "CHUNK_RELAY_MAX_CONNECTIONS_PER_ADDRESS", Integer.toString(CONNECTIONS_PER_ADDRESS)));
  }

  @Test
  void aProducerPastItsRateIsRefusedWith429AndOthersAreServed() {
    Http http = new Http(base);
    String stream = "limits-" + UUID.randomUUID();
    String[] flooder = TestTokens.bearer(TestTokens.token("flooder", "produce", "limits-*"));
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 60; i++) {
      Http.Response answer =
          http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "c" + i), flooder);
      if (answer.status() == 201) {
        accepted++;
      } else {
        assertEquals(429, answer.status(), answer.body());
        assertEquals("rate-limited", answer.json().path("code").asText());
        assertTrue(Integer.parseInt(answer.header("Retry-After")) >= 1);
        refused++;
      }
    }
    assertTrue(refused > 0 && accepted >= 2 * APPENDS_PER_SECOND, accepted + " / " + refused);
    assertEquals(accepted, ChunkTable.count("chunks", stream), "a refused append wrote nothing");
    Http.Response calm =
        http.postJson(
            "api/streams/" + stream + "-calm/chunks",
            Http.chunk("m", "hello"),
            TestTokens.bearer(TestTokens.token("calm", "produce", "limits-*")));
    assertEquals(201, calm.status(), "another producer is not slowed by the flood");
  }

  @Test
  void aStreamedBodyPaysForEachLineAndEndsAtTheFirstOverTheRate() {
    Http http = new Http(base);
    String stream = "limits-" + UUID.randomUUID();
    StringBuilder lines = new StringBuilder();
    for (int i = 1; i <= 60; i++) {
      lines.append(Http.chunk("m", "line " + i)).append('\n');
    }
    List<String> headers = new ArrayList<>(List.of("Content-Type", "application/x-ndjson"));
    headers.addAll(List.of(TestTokens.bearer(TestTokens.token("streamer", "produce", "limits-*"))));
    Http.Response answer =
        http.post(
            "api/streams/" + stream + "/chunks",
            HttpRequest.BodyPublishers.ofString(lines.toString()),
            headers.toArray(String[]::new));
    assertEquals(429, answer.status(), answer.body());
    assertEquals("rate-limited", answer.json().path("code").asText());
    assertTrue(Integer.parseInt(answer.header("Retry-After")) >= 1);
    long stored = answer.json().path("count").asLong();
    assertTrue(stored >= 2 * APPENDS_PER_SECOND && stored < 60, answer.body());
    assertEquals(stored + 1, answer.json().path("line").asLong(), "the problem names the line");
    assertEquals(stored, ChunkTable.count("chunks", stream), "the lines before it, and no more");
  }

  @Test
  void anAddressPastItsConnectionsIsRefusedAtTheHandshakeUntilOneCloses() throws Exception {
    String stream = "limits-ws-" + UUID.randomUUID();
    URI socket =
        URI.create(
            base
                + "ws/streams/"
                + stream
                + "?access_token="
                + TestTokens.token("reader", "subscribe", stream));
    List<WsClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < CONNECTIONS_PER_ADDRESS; i++) {
        open.add(WsClient.connect(socket));
      }
      // A connection counts once the server opened it, just after the handshake's answer.
      Http admin = new Http(base).withBearer(TestTokens.token("ops", "admin"));
      Await.until(
          () -> admin.metric("chunk_relay_connections_open") >= CONNECTIONS_PER_ADDRESS,
          Duration.ofSeconds(10));
      WsClient.Refused refused =
          assertThrows(WsClient.Refused.class, () -> WsClient.connect(socket).close());
      assertEquals(429, refused.status());
      open.remove(0).close();
      // The closed connection's place comes back once the server saw the close.
      WsClient again =
          await("a place freed by a close, given to the next client")
              .atMost(Duration.ofSeconds(10))
              .ignoreException(WsClient.Refused.class)
              .until(() -> WsClient.connect(socket), client -> client != null);
      open.add(again);
    } finally {
      open.forEach(WsClient::close);
    }
  }

  @Test
  void requestsThatNeverFinishTheirHeadersOrBodiesHoldNoThreadAndStarveNobody() throws Exception {
    String path = URI.create(base.toString()).getRawPath();
    // More than the container has worker threads (Tomcat's default is 200): a stalled body that
    // held one would starve everyone else.
    try (StalledClients slow =
        StalledClients.open(
            base,
            500,
            i ->
                i % 2 == 0
                    // Slowloris: a request line and one header, then silence.
                    ? "GET " + path + "api/streams/x HTTP/1.1\r\nHost: localhost\r\n"
                    // A body that is announced and never sent.
                    : "POST "
                        + path
                        + "api/streams/limits-stall/chunks HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 1000\r\n"
                        + "Authorization: Bearer "
                        // A subject each, within its rate: these are read, not refused unread.
                        + TestTokens.token("staller-" + i, "produce", "limits-*")
                        + "\r\n\r\n{\"messageId\":")) {
      Http http = new Http(base);
      String stream = "limits-served-" + UUID.randomUUID();
      long started = System.nanoTime();
      Http.Response served =
          http.postJson(
              "api/streams/" + stream + "/chunks",
              Http.chunk("m", "through the crowd"),
              TestTokens.bearer(TestTokens.token("patient", "produce", "limits-*")));
      long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
      assertEquals(201, served.status(), served.body());
      assertTrue(millis < 5_000, "served in " + millis + " ms");
      // A body that never comes is given up on with 408, and nothing of it is stored.
      assertEquals("HTTP/1.1 408", slow.status(1));
      assertEquals(0, ChunkTable.count("chunks", "limits-stall"), "no half body was stored");
    }
  }
}
