package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A node stopped by its operator (SIGTERM) tells its WebSocket clients 1001, going away. */
class GracefulShutdownIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aStoppingNodeClosesItsWebSocketsWithGoingAway() throws Exception {
    TomcatNode node = TomcatNode.start("graceful", Map.of()).awaitHealthy(Duration.ofSeconds(120));
    try {
      String stream = "graceful-" + UUID.randomUUID();
      new Http(node.base()).postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "one"));
      try (WsClient client = WsClient.connect(node.base().resolve("ws/streams/" + stream))) {
        assertEquals(1, JSON.readTree(client.next(Duration.ofSeconds(30))).get("seq").asLong());
        node.close();
        assertEquals(1001, client.closeCode(Duration.ofSeconds(30)));
      }
    } finally {
      node.close();
    }
  }
}
