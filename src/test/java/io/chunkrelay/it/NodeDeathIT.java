package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.ResumingClient;
import io.chunkrelay.it.support.TomcatNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promise 7, a node dies: two nodes, clients attached to both, producers appending through the
 * first; that node is killed abruptly (SIGKILL) mid-stream. Producers retry on the other node with
 * the same Idempotency-Key, clients reconnect to whichever node answers: every client gets every
 * chunk once, in order, and the table holds each chunk exactly once.
 */
class NodeDeathIT {
  private static final int STREAMS = 4;
  private static final int CHUNKS = 120;
  private static final int KILL_AFTER = 40;

  private static TomcatNode doomed;
  private static TomcatNode survivor;

  @BeforeAll
  static void startNodes() throws Exception {
    doomed = TomcatNode.start("doomed", Map.of());
    survivor = TomcatNode.start("survivor", Map.of());
    doomed.awaitHealthy(Duration.ofSeconds(120));
    survivor.awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stopNodes() throws Exception {
    survivor.close();
    doomed.close();
  }

  @Test
  void clientsAndProducersSurviveANodeKilledMidStream() throws Exception {
    List<URI> bases = List.of(doomed.base(), survivor.base());
    HttpClient webSockets = HttpClient.newHttpClient();
    String run = "death-" + System.nanoTime();
    CountDownLatch killed = new CountDownLatch(1);
    CountDownLatch readyToKill = new CountDownLatch(STREAMS);
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<ResumingClient> clients = new ArrayList<>();
      List<Future<Boolean>> running = new ArrayList<>();
      List<Future<?>> producers = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        String stream = run + "-" + s;
        for (int c = 0; c < 2; c++) {
          // Never dropped on purpose: only the node's death breaks their connections.
          ResumingClient client =
              new ResumingClient(webSockets, bases, stream, s * 2L + c, 0, null);
          clients.add(client);
          running.add(pool.submit(() -> client.run(Duration.ofMinutes(2))));
        }
        producers.add(pool.submit(() -> produce(stream, readyToKill, killed)));
      }
      assertTrue(readyToKill.await(60, TimeUnit.SECONDS), "producers did not get going");
      doomed.kill();
      killed.countDown();
      for (Future<?> producer : producers) {
        producer.get(2, TimeUnit.MINUTES);
      }
      for (int i = 0; i < clients.size(); i++) {
        ResumingClient client = clients.get(i);
        String context =
            client.streamId() + ", " + client.connections() + " connections, " + client.lastError();
        assertTrue(running.get(i).get(2, TimeUnit.MINUTES), "no complete frame: " + context);
        assertEquals(LongStream.rangeClosed(1, CHUNKS).boxed().toList(), client.seqs(), context);
      }
      for (int s = 0; s < STREAMS; s++) {
        List<ChunkTable.Row> rows = ChunkTable.chunks(run + "-" + s);
        assertEquals(CHUNKS, rows.size(), "each chunk stored exactly once");
        for (int i = 0; i < CHUNKS; i++) {
          assertEquals(i + 1, rows.get(i).seq());
          assertEquals("chunk " + (i + 1), rows.get(i).content());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Appends through the doomed node, retrying each chunk on the survivor with its key. */
  private Void produce(String stream, CountDownLatch readyToKill, CountDownLatch killed)
      throws InterruptedException {
    Http first = new Http(doomed.base());
    Http second = new Http(survivor.base());
    for (int i = 1; i <= CHUNKS; i++) {
      if (i == KILL_AFTER) {
        readyToKill.countDown();
      }
      String key = stream + "-" + i;
      String body = Http.chunk("m", "chunk " + i);
      Http.Response response = null;
      for (int attempt = 0; response == null || response.status() != 201; attempt++) {
        Http target = killed.getCount() == 0 || attempt > 0 ? second : first;
        try {
          response =
              target.postJson("api/streams/" + stream + "/chunks", body, "Idempotency-Key", key);
        } catch (RuntimeException connectionLost) {
          Thread.sleep(20);
        }
        if (attempt > 50) {
          throw new AssertionError("chunk " + i + " of " + stream + " never appended");
        }
      }
      assertEquals(i, response.json().get("seq").asLong(), stream);
      Thread.sleep(10);
    }
    new Http(survivor.base()).postJson("api/streams/" + stream + "/complete", "");
    return null;
  }
}
