package io.chunkrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.ResumingClient;
import io.chunkrelay.testing.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Load against running Chunk Relay nodes, printing what was delivered and how fast: loss,
 * duplicates and reorders per client, end-to-end latency percentiles (HdrHistogram, append request
 * sent to chunk received), chunks per second, and the nodes' CPU time from their /metrics (or, for
 * a server without them such as ../shared/reference-relay, from /proc).
 *
 * <pre>
 * mvn -B -q test-compile exec:java@bench -Dbench.args="--mode storm --nodes http://localhost:8080/"
 * </pre>
 *
 * Modes: {@code storm} (streams appended at LLM-like pace, two clients a stream dropping at random
 * and resuming on a random node), {@code throughput} (streams each with one append in flight, one
 * steady client each), {@code ingest} (each stream's chunks piped as one streamed ndjson request,
 * one steady client each), {@code idle} (connections left quiet: reads of the log per second and
 * heap per connection, see {@link IdleConnections}), {@code catchup} (one client reading a long
 * stream from seq 0, see {@link CatchUp}); these two are not part of {@code all}. Options: {@code
 * --streams N --chunks N --seconds N --batch N --drop-millis N --seed N --warmup-seconds N
 * --connections N} (a warm-up load, not measured, first: 15 s by default, 0 for none). Targets
 * loopback nodes only; every loop is bounded.
 */
public final class Benchmark {
  /** The {@code batch} that means: one streamed request instead of appends. */
  private static final int STREAMED = 0;

  private final List<URI> nodes;
  private final Map<String, String> options;
  private String bearer;

  private Benchmark(List<URI> nodes, Map<String, String> options) {
    this.nodes = nodes;
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    List<URI> nodes = new ArrayList<>();
    for (String node : options.getOrDefault("nodes", "http://localhost:8080/").split(",")) {
      URI uri = URI.create(node.endsWith("/") ? node : node + "/");
      String host = uri.getHost();
      if (!host.equals("localhost") && !host.startsWith("127.") && !host.equals("[::1]")) {
        throw new IllegalArgumentException(
            "the benchmark only targets loopback nodes, not " + host);
      }
      nodes.add(uri);
    }
    Benchmark benchmark = new Benchmark(nodes, options);
    if (options.containsKey("jwt-secret")) {
      // A node in jwt mode: every request and handshake carries one token for every stream.
      benchmark.bearer = BenchToken.mint(options.get("jwt-secret"));
      KeepAliveHttp.bearer = benchmark.bearer;
    }
    String mode = options.getOrDefault("mode", "all");
    boolean clean = true;
    int warmUpSeconds = benchmark.option("warmup-seconds", 15);
    if (warmUpSeconds > 0) {
      // A fresh JVM spends its first seconds compiling: measure the node, not its JIT. Two rounds,
      // so the paths of a run's end and the next one's start (streams completed, clients closing,
      // new streams) are compiled too: after a single round, the measured run began with a burst
      // of recompilation that took most of a core for most of its 20 s on a slow machine.
      System.out.printf("warm-up, not measured (2 x %d s):%n", Math.max(1, warmUpSeconds / 2));
      for (int round = 0; round < 2; round++) {
        clean &= benchmark.run(10, -Math.max(1, warmUpSeconds / 2), 1, 0, 99, false, 1);
      }
      if (mode.equals("ingest")) {
        clean &= benchmark.run(1, -warmUpSeconds, 1, 0, 99, false, STREAMED);
      }
    }
    if (mode.equals("storm") || mode.equals("all")) {
      clean &= benchmark.storm();
    }
    if (mode.equals("throughput") || mode.equals("all")) {
      clean &= benchmark.throughput();
    }
    if (mode.equals("ingest") || mode.equals("all")) {
      clean &= benchmark.ingest();
    }
    if (mode.equals("catchup")) {
      System.out.printf("catch-up: one client from seq 0, nodes %s%n", benchmark.nodes.get(0));
      clean &= new CatchUp(benchmark.nodes.get(0), benchmark.option("chunks", 100_000)).run();
    }
    if (mode.equals("idle")) {
      System.out.printf(
          "idle: WebSocket connections left quiet, nodes %s%n", benchmark.nodes.get(0));
      clean &=
          new IdleConnections(
                  benchmark.nodes.get(0),
                  benchmark.option("connections", 2000),
                  benchmark.option("streams", 100),
                  benchmark.option("seconds", 20))
              .run();
    }
    System.exit(clean ? 0 : 1);
  }

  private int option(String name, int defaultValue) {
    return Integer.parseInt(options.getOrDefault(name, Integer.toString(defaultValue)));
  }

  /** Streams at LLM pace; clients drop and resume on random nodes. */
  private boolean storm() throws Exception {
    int streams = option("streams", 20);
    int chunks = option("chunks", 200);
    int dropMillis = option("drop-millis", 400);
    long seed = option("seed", 1);
    System.out.printf(
        "storm: %d streams x %d chunks at ~50/s each, 2 clients a stream dropping every ~%d ms,"
            + " nodes %s%n",
        streams, chunks, dropMillis, nodes);
    return run(streams, chunks, 2, dropMillis, seed, true, 1);
  }

  /** Streams with one append in flight each, appended as fast as the nodes take them. */
  private boolean throughput() throws Exception {
    int streams = option("streams", 10);
    int seconds = option("seconds", 20);
    int batch = option("batch", 1);
    System.out.printf(
        "throughput: %d streams, one append of %d chunk(s) in flight each, %d s, one client a"
            + " stream, nodes %s%n",
        streams, batch, seconds, nodes);
    return run(streams, -seconds, 1, 0, option("seed", 1), false, batch);
  }

  /** Each stream's chunks piped in one streamed request, as fast as the node reads them. */
  private boolean ingest() throws Exception {
    int streams = option("streams", 1);
    int seconds = option("seconds", 20);
    System.out.printf(
        "ingest: %d stream(s), each one application/x-ndjson request for %d s, one client a"
            + " stream, nodes %s%n",
        streams, seconds, nodes);
    return run(streams, -seconds, 1, 0, option("seed", 1), false, STREAMED);
  }

  /**
   * Runs producers and clients; {@code chunks < 0} means "for -chunks seconds". Returns whether
   * delivery was exact.
   */
  private boolean run(
      int streams,
      int chunks,
      int clientsPerStream,
      int dropMillis,
      long seed,
      boolean paced,
      int batch)
      throws Exception {
    List<Http> https = nodes.stream().map(node -> new Http(node).withBearer(bearer)).toList();
    HttpClient webSockets = HttpClient.newHttpClient();
    ConcurrentHistogram latency = new ConcurrentHistogram(3);
    Map<URI, Long> cpuBefore = cpuMillis(https);
    String run = "bench-" + System.currentTimeMillis();
    ExecutorService pool = Executors.newCachedThreadPool();
    AtomicLong appended = new AtomicLong();
    long[] lastSeq = new long[streams];
    List<ResumingClient> clients = new ArrayList<>();
    List<Future<Boolean>> clientRuns = new ArrayList<>();
    List<Future<?>> producers = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int s = 0; s < streams; s++) {
        String stream = run + "-" + s;
        for (int c = 0; c < clientsPerStream; c++) {
          ResumingClient client =
              new ResumingClient(
                  webSockets,
                  nodes,
                  stream,
                  seed * 7919 + s * 31 + c,
                  dropMillis,
                  latency::recordValue);
          client.withBearer(bearer);
          clients.add(client);
          clientRuns.add(pool.submit(() -> client.run(Duration.ofMinutes(10))));
        }
        int index = s;
        Random random = new Random(seed * 104_729 + s);
        producers.add(
            pool.submit(
                () -> {
                  lastSeq[index] = produce(https, stream, random, chunks, paced, batch, appended);
                  return null;
                }));
      }
      for (Future<?> producer : producers) {
        producer.get(15, TimeUnit.MINUTES);
      }
      long appendedNanos = System.nanoTime() - start;
      boolean completedAll = true;
      DeliveryTally tally = DeliveryTally.NONE;
      for (int i = 0; i < clients.size(); i++) {
        completedAll &= clientRuns.get(i).get(15, TimeUnit.MINUTES);
        tally = tally.plus(DeliveryTally.of(clients.get(i).seqs(), lastSeq[i / clientsPerStream]));
      }
      long totalNanos = System.nanoTime() - start;
      Map<URI, Long> cpuAfter = cpuMillis(https);
      int connections = clients.stream().mapToInt(ResumingClient::connections).sum();
      System.out.printf(
          "  %s, to %d clients over %d connections%n", tally, clients.size(), connections);
      long delivered = tally.delivered();
      print("  end-to-end latency", latency);
      System.out.printf(
          "  appended %.0f chunks/s, delivered %.0f chunks/s (%.1f s)%n",
          appended.get() / (appendedNanos / 1e9), delivered / (totalNanos / 1e9), totalNanos / 1e9);
      for (URI node : nodes) {
        long used = cpuAfter.get(node) - cpuBefore.get(node);
        System.out.printf(
            "  server CPU %s: %.1f s (%.2f ms per 1000 chunks delivered)%n",
            node, used / 1e3, delivered == 0 ? 0.0 : used * 1000.0 / delivered);
      }
      boolean clean = completedAll && tally.exact();
      System.out.println(clean ? "  result: exact" : "  result: NOT EXACT");
      return clean;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Appends, returns the stream's last seq, then completes the stream. */
  private static long produce(
      List<Http> https,
      String stream,
      Random random,
      int chunks,
      boolean paced,
      int batch,
      AtomicLong appended)
      throws InterruptedException {
    if (batch == STREAMED) {
      return produceStreamed(https.get(random.nextInt(https.size())), stream, -chunks, appended);
    }
    long deadline = chunks < 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(-chunks) : 0;
    long last = 0;
    List<KeepAliveHttp> connections =
        https.stream().map(http -> new KeepAliveHttp(http.base())).toList();
    try {
      for (int i = 0; chunks < 0 ? System.nanoTime() < deadline : i < chunks; i += batch) {
        if (paced) {
          Thread.sleep(5 + random.nextInt(30));
        }
        last =
            append(
                connections.get(random.nextInt(connections.size())),
                "api/streams/" + stream + "/chunks",
                batch);
        appended.addAndGet(batch);
      }
    } finally {
      connections.forEach(KeepAliveHttp::close);
    }
    https.get(0).postJson("api/streams/" + stream + "/complete", "");
    return last;
  }

  /** One append of {@code batch} chunks, each carrying its send time; returns its last seq. */
  private static long append(KeepAliveHttp http, String path, int batch) {
    String body;
    if (batch == 1) {
      body = Http.chunk("m", "t=" + System.nanoTime());
    } else {
      StringBuilder array = new StringBuilder("[");
      for (int b = 0; b < batch; b++) {
        array.append(b == 0 ? "" : ",").append(Http.chunk("m", "t=" + System.nanoTime()));
      }
      body = array.append(']').toString();
    }
    try {
      KeepAliveHttp.Answer answer =
          http.post(path, "application/json", body.getBytes(StandardCharsets.UTF_8));
      if (answer.status() != 201) {
        throw new IllegalStateException("append failed: " + answer.status() + " " + answer.body());
      }
      JsonNode json = Json.MAPPER.readTree(answer.body());
      return batch == 1 ? json.get("seq").asLong() : json.get("lastSeq").asLong();
    } catch (IOException e) {
      throw new UncheckedIOException("append to " + path + " failed", e);
    }
  }

  /**
   * Pipes lines for {@code seconds} in one request, returns the stream's last seq, completes it.
   */
  private static long produceStreamed(Http http, String stream, int seconds, AtomicLong appended) {
    LineSource lines = new LineSource(seconds);
    Http.Response response =
        http.send(
            HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
                .timeout(Duration.ofSeconds(seconds + 60L))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> lines))
                .build());
    if (response.status() != 201 || response.json().get("count").asLong() != lines.lines()) {
      throw new IllegalStateException(
          "streamed " + lines.lines() + " lines, answered " + response.body());
    }
    appended.addAndGet(lines.lines());
    http.postJson("api/streams/" + stream + "/complete", "");
    return response.json().get("lastSeq").asLong();
  }

  private static Map<URI, Long> cpuMillis(List<Http> https) {
    Map<URI, Long> cpu = new LinkedHashMap<>();
    for (Http http : https) {
      long millis;
      try {
        millis = http.metric("chunk_relay_process_cpu_millis");
      } catch (RuntimeException noMetrics) {
        millis = -1; // the reference relay closes the connection on a path it does not serve
      }
      // A server without the node's metrics (the reference relay): the kernel's count.
      cpu.put(http.base(), millis >= 0 ? millis : ServerProcess.cpuMillis(http.base().getPort()));
    }
    return cpu;
  }

  private static void print(String label, Histogram histogram) {
    System.out.printf(
        "%s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%d samples)%n",
        label,
        histogram.getValueAtPercentile(50) / 1e6,
        histogram.getValueAtPercentile(99) / 1e6,
        histogram.getValueAtPercentile(99.9) / 1e6,
        histogram.getMaxValue() / 1e6,
        histogram.getTotalCount());
  }
}
