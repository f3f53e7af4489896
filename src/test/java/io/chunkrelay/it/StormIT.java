package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.ResumingClient;
import io.chunkrelay.it.support.TomcatNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.HdrHistogram.ConcurrentHistogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Promise 3 under a storm: two nodes (separate Tomcat processes) share PostgreSQL and Redis; 20
 * streams of 200 chunks are appended at LLM-like rates through random nodes while two clients per
 * stream drop their connections abruptly at random (mean 400 ms) and resume on a random node with
 * after = the last seq they saw. Every client must end with exactly 1..200, in order, and the
 * complete frame. Several seeds; each seed's timings are random but reproducible in intent.
 */
class StormIT {
  private static final int STREAMS = 20;
  private static final int CHUNKS = 200;
  private static final int CLIENTS_PER_STREAM = 2;
  private static final double MEAN_DROP_MILLIS = 400;

  private static final List<TomcatNode> nodes = new ArrayList<>();

  @BeforeAll
  static void startTwoNodes() throws Exception {
    nodes.addAll(TomcatNode.startHealthy("storm-a", "storm-b"));
  }

  @AfterAll
  static void stopNodes() throws Exception {
    for (TomcatNode node : nodes) {
      node.close();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7, 1_000_003, 424_242})
  void everyClientGetsEveryChunkOnceInOrderAcrossDropsAndNodes(long seed) throws Exception {
    List<URI> bases = nodes.stream().map(TomcatNode::base).toList();
    List<Http> https = bases.stream().map(Http::new).toList();
    HttpClient webSockets = HttpClient.newHttpClient();
    ConcurrentHistogram latency = new ConcurrentHistogram(3);
    String run = "storm-" + seed + "-" + System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(STREAMS * (1 + CLIENTS_PER_STREAM));
    try {
      List<Future<?>> producers = new ArrayList<>();
      List<ResumingClient> clients = new ArrayList<>();
      List<Future<Boolean>> running = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        String stream = run + "-" + s;
        for (int c = 0; c < CLIENTS_PER_STREAM; c++) {
          ResumingClient client =
              new ResumingClient(
                  webSockets,
                  bases,
                  stream,
                  seed * 1_000 + s * 10 + c,
                  MEAN_DROP_MILLIS,
                  latency::recordValue);
          clients.add(client);
          running.add(pool.submit(() -> client.run(Duration.ofSeconds(90))));
        }
        Random random = new Random(seed * 31 + s);
        producers.add(pool.submit(() -> produce(https, stream, random)));
      }
      for (Future<?> producer : producers) {
        producer.get(2, TimeUnit.MINUTES);
      }
      for (int i = 0; i < clients.size(); i++) {
        ResumingClient client = clients.get(i);
        boolean completed = running.get(i).get(2, TimeUnit.MINUTES);
        String context =
            "seed "
                + seed
                + ", stream "
                + client.streamId()
                + ", "
                + client.connections()
                + " connections, last error: "
                + client.lastError();
        assertTrue(completed, "no complete frame: " + context);
        assertEquals(LongStream.rangeClosed(1, CHUNKS).boxed().toList(), client.seqs(), context);
        assertEquals(CHUNKS, client.completeLastSeq(), context);
      }
      int connections = clients.stream().mapToInt(ResumingClient::connections).sum();
      System.out.printf(
          "storm seed %d: %d clients, %d connections, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          seed,
          clients.size(),
          connections,
          latency.getValueAtPercentile(50) / 1e6,
          latency.getValueAtPercentile(99) / 1e6,
          latency.getMaxValue() / 1e6);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Appends the stream's chunks at LLM-like pace (about 50 a second) through random nodes. */
  private static Void produce(List<Http> https, String stream, Random random)
      throws InterruptedException {
    for (int i = 1; i <= CHUNKS; i++) {
      Thread.sleep(5 + random.nextInt(30));
      Http http = https.get(random.nextInt(https.size()));
      Http.Response response =
          http.postJson(
              "api/streams/" + stream + "/chunks", Http.chunk("m", "t=" + System.nanoTime()));
      assertEquals(201, response.status(), response.body());
      assertEquals(i, response.json().get("seq").asLong());
    }
    Http.Response complete =
        https.get(random.nextInt(https.size())).postJson("api/streams/" + stream + "/complete", "");
    assertEquals(200, complete.status(), complete.body());
    return null;
  }
}
