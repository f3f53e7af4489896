package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built {@code target/chunk-relay.war}, unchanged, in a standalone Tomcat 11 from the Maven
 * Central distribution archive, configured only through environment variables as an operator would:
 * it requires tokens by default and refuses to start without a key; with one, it starts, serves the
 * API and delivers over WebSocket through Tyrus.
 */
class StandaloneTomcatIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private static TomcatNode tomcat;
  private static URI base;

  @BeforeAll
  static void startTomcat() throws Exception {
    tomcat =
        TomcatNode.start(
                "standalone",
                Map.of(
                    "CHUNK_RELAY_AUTH",
                    "", // unset: the WAR's own default
                    "CHUNK_RELAY_JWT_SECRET",
                    TestServices.JWT_SECRET))
            .awaitHealthy(START_TIMEOUT);
    base = tomcat.base();
  }

  @AfterAll
  static void stopTomcat() throws Exception {
    if (tomcat != null) {
      tomcat.close();
    }
  }

  @Test
  void withoutAKeyTheWarRefusesToStartAndNamesTheSettings() throws Exception {
    try (TomcatNode keyless = TomcatNode.start("keyless", Map.of("CHUNK_RELAY_AUTH", ""))) {
      await("the keyless WAR's refusal")
          .atMost(START_TIMEOUT)
          .until(() -> keyless.logTail().contains("Chunk Relay cannot start"));
      String log = keyless.logTail();
      assertTrue(log.contains("CHUNK_RELAY_JWT_SECRET"), log);
      assertTrue(log.contains("CHUNK_RELAY_AUTH"), log);
      Http.Response health = new Http(keyless.base()).get("health");
      assertTrue(health.status() >= 400, "a node without a key serves nothing: " + health);
    }
  }

  @Test
  void theWarRequiresATokenAndServesTheApiWithOne() {
    Http http = new Http(base);
    String stream = "standalone-" + UUID.randomUUID();
    String[] producer = TestTokens.bearer(TestTokens.token("svc", "produce subscribe", stream));
    Http.Response anonymous =
        http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "x"));
    assertEquals(401, anonymous.status(), anonymous.body());
    assertEquals("missing-token", anonymous.json().get("code").asText());
    Http.Response appended =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            "{\"messageId\":\"m1\",\"content\":\"hi\"}",
            producer);
    assertEquals(201, appended.status(), appended.body());
    assertEquals(stream, appended.json().get("streamId").asText());
    assertEquals(1, appended.json().get("seq").asLong());

    Http.Response listed =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    http.base().resolve("api/streams/" + stream + "/chunks?after=0"))
                .headers(producer)
                .build());
    assertEquals(200, listed.status());
    assertEquals("hi", listed.json().get("chunks").get(0).get("content").asText());

    Http.Response problem = http.postJson("api/streams/" + stream + "/chunks", "{", producer);
    assertEquals(400, problem.status());
    assertEquals("malformed-json", problem.json().get("code").asText());
  }

  @Test
  void theWarServesThePageAndTheClientButNoDemoAssistantUnlessSwitchedOn() {
    Http http = new Http(base);
    Http.Response page = http.get("");
    assertEquals(200, page.status());
    assertTrue(page.body().contains("js/demo.js"), page.body());
    Http.Response module = http.get("js/chunk-relay.js");
    assertEquals(200, module.status());
    assertTrue(module.header("Content-Type").startsWith("text/javascript"), module.toString());
    assertTrue(module.body().contains("export function connect("));

    Http.Response demo =
        http.postJson(
            "demo/replies",
            "{\"prompt\":\"hello\"}",
            TestTokens.bearer(TestTokens.token("visitor", "subscribe", "demo-*")));
    assertEquals(404, demo.status(), demo.body());
    assertEquals("demo-disabled", demo.json().get("code").asText());
  }

  @Test
  void theWarDeliversOverWebSocketThroughTyrusInAStandaloneTomcat() throws Exception {
    Http http = new Http(base);
    String stream = "standalone-ws-" + UUID.randomUUID();
    String[] producer = TestTokens.bearer(TestTokens.token("svc", "produce", stream));
    String reader = TestTokens.token("reader", "subscribe", stream);
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "one"), producer);
    try (WsClient client =
        WsClient.connect(
            base.resolve("ws/streams/" + stream + "?after=0"),
            Map.of(),
            java.util.List.of("chunk-relay", "bearer." + reader))) {
      JsonNode first = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("chunk", first.get("type").asText());
      assertEquals(1, first.get("seq").asLong());
      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "two"), producer);
      JsonNode second = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals(2, second.get("seq").asLong());
      assertEquals("two", second.get("content").asText());
      http.postJson("api/streams/" + stream + "/complete", "", producer);
      JsonNode complete = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("complete", complete.get("type").asText());
      assertEquals(1000, client.closeCode(Duration.ofSeconds(30)));
    }
  }
}
