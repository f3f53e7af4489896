package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.testing.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promise 2 across nodes under group commit: two nodes (separate Tomcat processes) append to the
 * same new streams at once, each node's groups spanning many streams, so both lock the same rows in
 * the same transactions' worth of work. No deadlock or other error may reach a producer, and every
 * stream must hold exactly the acknowledged chunks at their seqs, 1 to its head without holes, each
 * linked into the stream's hash chain from its predecessor whichever node stored either.
 */
class TwoNodeAppendIT {
  private static final int STREAMS = 8;
  private static final int PRODUCERS_PER_NODE = 6;
  private static final int REQUESTS_EACH = 80;

  private static final List<TomcatNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startTwoNodes() throws Exception {
    nodes.addAll(TomcatNode.startHealthy("append-a", "append-b"));
  }

  @AfterAll
  static void stopNodes() throws Exception {
    for (TomcatNode node : nodes) {
      node.close();
    }
  }

  @Test
  void twoNodesAppendingToTheSameStreamsNeverFailAProducerAndKeepSeqsGapFree() throws Exception {
    String run = "two-nodes-" + UUID.randomUUID();
    List<String> streams = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      streams.add(run + "-" + s);
    }
    Map<String, Map<String, Long>> acknowledged = new ConcurrentHashMap<>();
    streams.forEach(stream -> acknowledged.put(stream, new ConcurrentHashMap<>()));
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS_PER_NODE * nodes.size());
    try {
      List<Future<?>> producers = new ArrayList<>();
      for (int n = 0; n < nodes.size(); n++) {
        Http http = new Http(nodes.get(n).base());
        for (int p = 0; p < PRODUCERS_PER_NODE; p++) {
          String producer = "n" + n + "p" + p;
          Random random = new Random(producer.hashCode());
          producers.add(
              pool.submit(
                  () -> {
                    for (int r = 0; r < REQUESTS_EACH; r++) {
                      String stream = streams.get(random.nextInt(STREAMS));
                      List<String> contents = new ArrayList<>();
                      for (int i = 0; i <= random.nextInt(5); i++) {
                        contents.add(producer + "-" + r + "-" + i);
                      }
                      ArrayNode batch = Json.MAPPER.createArrayNode();
                      contents.forEach(
                          c -> batch.addObject().put("messageId", "m").put("content", c));
                      Http.Response response =
                          http.postJson("api/streams/" + stream + "/chunks", batch.toString());
                      assertEquals(201, response.status(), producer + ": " + response.body());
                      long first = response.json().get("firstSeq").asLong();
                      for (int i = 0; i < contents.size(); i++) {
                        acknowledged.get(stream).put(contents.get(i), first + i);
                      }
                    }
                    return null;
                  }));
        }
      }
      for (Future<?> producer : producers) {
        producer.get(180, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (String stream : streams) {
      assertEquals(
          new HashMap<>(acknowledged.get(stream)),
          ChunkTable.gapFreeSeqsByContent(stream),
          stream + ": exactly the acknowledged chunks at their seqs");
    }
    // Each node links the chunks it stores from the head it last wrote; the other node's writes
    // in between make it read the head again, so the chain runs unbroken from the genesis.
    try (java.sql.Connection connection = TestServices.database().connect();
        java.sql.PreparedStatement verify =
            connection.prepareStatement("select seq, problem, detail from verify_log(?)")) {
      for (String stream : streams) {
        verify.setString(1, stream);
        try (java.sql.ResultSet problems = verify.executeQuery()) {
          List<String> found = new ArrayList<>();
          while (problems.next()) {
            found.add(
                problems.getLong(1) + " " + problems.getString(2) + " " + problems.getString(3));
          }
          assertEquals(List.of(), found, stream + ": the verifier finds nothing");
        }
      }
    }
  }
}
