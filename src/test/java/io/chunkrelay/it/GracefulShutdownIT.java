package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A node stopped by its operator (SIGTERM) tells its WebSocket clients 1001, going away, and
 * appends in flight during the stop either complete or fail without leaving anything partial.
 */
class GracefulShutdownIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final int CLIENTS = 4;

  @Test
  void aStoppingNodeClosesItsWebSocketsWithGoingAway() throws Exception {
    TomcatNode node = TomcatNode.start("graceful", Map.of()).awaitHealthy(Duration.ofSeconds(120));
    try {
      String stream = "graceful-" + UUID.randomUUID();
      new Http(node.base()).postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "one"));
      Http http = new Http(node.base());
      List<Long> acknowledged = new CopyOnWriteArrayList<>();
      AtomicBoolean stopping = new AtomicBoolean();
      Thread producer =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000 && !stopping.get(); i++) {
                  try {
                    Http.Response response =
                        http.postJson(
                            "api/streams/" + stream + "/chunks", Http.chunk("m", "p" + i));
                    if (response.status() == 201) {
                      acknowledged.add(response.json().get("seq").asLong());
                    }
                  } catch (RuntimeException nodeGone) {
                    return;
                  }
                }
              });
      // Several clients, so sends are in flight on several connections while the node stops: a
      // send the WebSocket implementation refuses once it stopped must not cost a client its 1001.
      List<WsClient> clients = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          WsClient client = WsClient.connect(node.base().resolve("ws/streams/" + stream));
          clients.add(client);
          assertEquals(1, JSON.readTree(client.next(Duration.ofSeconds(30))).get("seq").asLong());
        }
        producer.start();
        Thread.sleep(500);
        node.close();
        stopping.set(true);
        producer.join(30_000);
        for (WsClient client : clients) {
          int closeCode = client.closeCode(Duration.ofSeconds(30));
          assertEquals(1001, closeCode, () -> "the node's log:\n" + node.logTail());
        }
      } finally {
        clients.forEach(WsClient::close);
      }
      // The node's threads ended with it: Tomcat names every thread of an application that
      // outlives its stop (on an undeploy, each would pin the application's class loader).
      List<String> outlived =
          node.log()
              .lines()
              .filter(line -> line.contains("appears to have started a thread"))
              .toList();
      assertEquals(List.of(), outlived, "threads that outlived the stop");
      // Every acknowledged append is stored, and the log has no hole and nothing extra.
      List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
      for (int i = 0; i < rows.size(); i++) {
        assertEquals(i + 1, rows.get(i).seq());
      }
      assertTrue(
          rows.stream().map(ChunkTable.Row::seq).toList().containsAll(acknowledged),
          "an acknowledged chunk is missing");
      assertTrue(rows.size() <= acknowledged.size() + 2, "more rows than acknowledged appends");
    } finally {
      node.close();
    }
  }
}
