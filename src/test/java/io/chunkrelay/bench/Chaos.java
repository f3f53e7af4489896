package io.chunkrelay.bench;

import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.ResumingClient;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.launch.LocalServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.ConcurrentHistogram;
import redis.embedded.RedisServer;

/**
 * The storm under random faults: two nodes of the built WAR in their own Tomcats, sharing a Redis
 * the benchmark owns and a PostgreSQL it reaches through a TCP proxy. While rounds of storms run,
 * an injector kills and restarts nodes (SIGKILL), stops and restarts Redis, and cuts PostgreSQL off
 * for a while, printing each fault with its time. Producers retry with their Idempotency-Key;
 * clients drop and resume at random. Each round checks every client got every chunk once, in order.
 *
 * <pre>
 * mvn -B -q verify -DskipTests exec:java@chaos -Dchaos.minutes=10
 * </pre>
 */
public final class Chaos {
  private static final int STREAMS = 10;
  private static final int CHUNKS = 150;

  private final Random random;
  private final long startNanos = System.nanoTime();
  private final List<URI> bases = new ArrayList<>();
  private final TomcatNode[] nodes = new TomcatNode[2];
  private final Map<String, String> nodeEnv;
  private final int redisPort;
  private final FaultyProxy databaseProxy;
  private RedisServer redis;
  private final int[] faults = new int[3];

  private Chaos(long seed) throws Exception {
    random = new Random(seed);
    redisPort = LocalServices.freePort();
    redis = TestServices.redisServer(redisPort);
    redis.start();
    URI database = URI.create(TestServices.database().jdbcUrl().substring("jdbc:".length()));
    databaseProxy = new FaultyProxy(database.getHost(), database.getPort());
    nodeEnv =
        Map.of(
            "CHUNK_RELAY_REDIS_URL",
            "redis://127.0.0.1:" + redisPort,
            "CHUNK_RELAY_REDIS_TIMEOUT_MILLIS",
            "300",
            "CHUNK_RELAY_DB_CONNECT_TIMEOUT_MILLIS",
            "1000",
            "CHUNK_RELAY_DB_URL",
            TestServices.database()
                .jdbcUrl()
                .replace(
                    database.getHost() + ":" + database.getPort(),
                    "127.0.0.1:" + databaseProxy.port()));
    for (int i = 0; i < nodes.length; i++) {
      int port = LocalServices.freePort();
      nodes[i] = TomcatNode.start("chaos-" + i, nodeEnv, port);
      bases.add(nodes[i].base());
    }
    for (TomcatNode node : nodes) {
      node.awaitHealthy(Duration.ofSeconds(120));
    }
  }

  public static void main(String[] args) throws Exception {
    double minutes = Double.parseDouble(System.getProperty("chaos.minutes", "10"));
    long seed = Long.parseLong(System.getProperty("chaos.seed", "1"));
    Chaos chaos = new Chaos(seed);
    boolean exact;
    try {
      exact = chaos.run(Duration.ofMillis((long) (minutes * 60_000)));
    } finally {
      chaos.stop();
    }
    System.exit(exact ? 0 : 1);
  }

  private boolean run(Duration duration) throws Exception {
    System.out.printf(
        "chaos: %s of storms (%d streams x %d chunks, 2 clients a stream dropping every ~400 ms)"
            + " on 2 nodes, with random node kills, Redis restarts and PostgreSQL cuts%n",
        duration, STREAMS, CHUNKS);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread injector = new Thread(() -> inject(running), "chaos-injector");
    injector.start();
    ConcurrentHistogram latency = new ConcurrentHistogram(3);
    long deadline = System.nanoTime() + duration.toNanos();
    DeliveryTally total = DeliveryTally.NONE;
    int rounds = 0;
    try {
      while (System.nanoTime() < deadline) {
        rounds++;
        DeliveryTally result = round(rounds, latency);
        total = total.plus(result);
        log("round %d: %s", rounds, result);
      }
    } finally {
      running.set(false);
      injector.join(60_000);
    }
    System.out.printf(
        "chaos result: %d rounds, %s; faults: %d node kills, %d Redis restarts,"
            + " %d PostgreSQL cuts%n",
        rounds, total, faults[0], faults[1], faults[2]);
    System.out.printf(
        "  end-to-end latency: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
        latency.getValueAtPercentile(50) / 1e6,
        latency.getValueAtPercentile(99) / 1e6,
        latency.getValueAtPercentile(99.9) / 1e6,
        latency.getMaxValue() / 1e6);
    boolean exact = total.exact();
    System.out.println(exact ? "  result: exact" : "  result: NOT EXACT");
    return exact;
  }

  /** One storm; returns what its clients received against what they should have. */
  private DeliveryTally round(int round, ConcurrentHistogram latency) throws Exception {
    HttpClient webSockets = HttpClient.newHttpClient();
    String prefix = "chaos-" + round + "-" + System.nanoTime();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      List<ResumingClient> clients = new ArrayList<>();
      List<Future<Boolean>> runs = new ArrayList<>();
      List<Future<?>> producers = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        String stream = prefix + "-" + s;
        for (int c = 0; c < 2; c++) {
          ResumingClient client =
              new ResumingClient(
                  webSockets, bases, stream, random.nextLong(), 400, latency::recordValue);
          clients.add(client);
          runs.add(pool.submit(() -> client.run(Duration.ofMinutes(5))));
        }
        long seed = random.nextLong();
        producers.add(pool.submit(() -> produce(stream, new Random(seed))));
      }
      for (Future<?> producer : producers) {
        producer.get(6, TimeUnit.MINUTES);
      }
      DeliveryTally totals = DeliveryTally.NONE;
      for (int i = 0; i < clients.size(); i++) {
        if (!runs.get(i).get(6, TimeUnit.MINUTES)) {
          log(
              "client of %s did not complete: %s",
              clients.get(i).streamId(), clients.get(i).lastError());
        }
        totals = totals.plus(DeliveryTally.of(clients.get(i).seqs(), CHUNKS));
      }
      return totals;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Appends the stream's chunks through random nodes, retrying each with its key until stored. */
  private Void produce(String stream, Random random) throws InterruptedException {
    for (int i = 1; i <= CHUNKS; i++) {
      Thread.sleep(5 + random.nextInt(30));
      String body = Http.chunk("m", "t=" + System.nanoTime());
      String key = stream + "-" + i;
      long seq = 0;
      while (seq == 0) {
        Http http = new Http(bases.get(random.nextInt(bases.size())));
        try {
          Http.Response response =
              http.postJson("api/streams/" + stream + "/chunks", body, "Idempotency-Key", key);
          if (response.status() == 201) {
            seq = response.json().get("seq").asLong();
          } else {
            Thread.sleep(100);
          }
        } catch (RuntimeException unreachable) {
          Thread.sleep(100);
        }
      }
      if (seq != i) {
        throw new IllegalStateException(stream + ": chunk " + i + " got seq " + seq);
      }
    }
    while (true) {
      try {
        if (new Http(bases.get(random.nextInt(bases.size())))
                .postJson("api/streams/" + stream + "/complete", "")
                .status()
            == 200) {
          return null;
        }
      } catch (RuntimeException unreachable) {
        // try another node
      }
      Thread.sleep(100);
    }
  }

  private void inject(AtomicBoolean running) {
    try {
      while (running.get()) {
        Thread.sleep(3_000 + random.nextInt(5_000));
        if (!running.get()) {
          return;
        }
        switch (random.nextInt(3)) {
          case 0 -> {
            int index = random.nextInt(nodes.length);
            log("inject: SIGKILL node %s", nodes[index].name());
            faults[0]++;
            nodes[index].kill();
            Thread.sleep(1_000 + random.nextInt(3_000));
            nodes[index] =
                TomcatNode.start(nodes[index].name(), nodeEnv, bases.get(index).getPort());
            nodes[index].awaitHealthy(Duration.ofSeconds(180));
            log("recovered: node %s is back", nodes[index].name());
          }
          case 1 -> {
            log("inject: stop Redis");
            faults[1]++;
            redis.stop();
            Thread.sleep(1_000 + random.nextInt(4_000));
            redis = TestServices.redisServer(redisPort);
            redis.start();
            log("recovered: Redis is back");
          }
          default -> {
            log("inject: cut PostgreSQL");
            faults[2]++;
            databaseProxy.cut();
            Thread.sleep(500 + random.nextInt(2_500));
            databaseProxy.heal();
            log("recovered: PostgreSQL reachable again");
          }
        }
      }
    } catch (Exception e) {
      log("injector failed: %s", e);
    }
  }

  private void stop() throws Exception {
    for (TomcatNode node : nodes) {
      if (node != null) {
        node.close();
      }
    }
    if (redis.isActive()) {
      redis.stop();
    }
    databaseProxy.close();
  }

  private void log(String format, Object... args) {
    System.out.printf(
        "t=%6.1fs %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(format, args));
  }
}
