package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Http;
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
 * it starts, serves the API and delivers over WebSocket through Tyrus.
 */
class StandaloneTomcatIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private static TomcatNode tomcat;
  private static URI base;

  @BeforeAll
  static void startTomcat() throws Exception {
    tomcat = TomcatNode.start("standalone", Map.of()).awaitHealthy(START_TIMEOUT);
    base = tomcat.base();
  }

  @AfterAll
  static void stopTomcat() throws Exception {
    if (tomcat != null) {
      tomcat.close();
    }
  }

  @Test
  void theWarServesTheApiInAStandaloneTomcat() {
    Http http = new Http(base);
    String stream = "standalone-" + UUID.randomUUID();
    Http.Response appended =
        http.postJson(
            "api/streams/" + stream + "/chunks", "{\"messageId\":\"m1\",\"content\":\"hi\"}");
    assertEquals(201, appended.status(), appended.body());
    assertEquals(stream, appended.json().get("streamId").asText());
    assertEquals(1, appended.json().get("seq").asLong());

    Http.Response listed = http.get("api/streams/" + stream + "/chunks?after=0");
    assertEquals(200, listed.status());
    assertEquals("hi", listed.json().get("chunks").get(0).get("content").asText());

    Http.Response problem = http.postJson("api/streams/" + stream + "/chunks", "{");
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

    Http.Response demo = http.postJson("demo/replies", "{\"prompt\":\"hello\"}");
    assertEquals(404, demo.status(), demo.body());
    assertEquals("demo-disabled", demo.json().get("code").asText());
  }

  @Test
  void theWarDeliversOverWebSocketThroughTyrusInAStandaloneTomcat() throws Exception {
    Http http = new Http(base);
    String stream = "standalone-ws-" + UUID.randomUUID();
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "one"));
    try (WsClient client = WsClient.connect(base.resolve("ws/streams/" + stream + "?after=0"))) {
      JsonNode first = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("chunk", first.get("type").asText());
      assertEquals(1, first.get("seq").asLong());
      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "two"));
      JsonNode second = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals(2, second.get("seq").asLong());
      assertEquals("two", second.get("content").asText());
      http.postJson("api/streams/" + stream + "/complete", "");
      JsonNode complete = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("complete", complete.get("type").asText());
      assertEquals(1000, client.closeCode(Duration.ofSeconds(30)));
    }
  }
}
