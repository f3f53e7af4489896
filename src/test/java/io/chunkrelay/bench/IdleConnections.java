package io.chunkrelay.bench;

import io.chunkrelay.it.support.Http;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The idle-connections figure: opens {@code connections} WebSockets over {@code streams} streams
 * (each stream holds one chunk; every connection first receives it), leaves them quiet for {@code
 * seconds}, and prints the node's reads of the log per second while nothing happens (idle checks
 * and chunk reads) and its heap per connection: heap in use after a full GC with the connections
 * open, minus the same before they opened, over their number. The GC is asked of the node's JVM
 * with {@code jcmd} (the node is on this machine: the benchmark targets loopback only); without it,
 * heap is not reported.
 */
final class IdleConnections {
  private final URI node;
  private final int connections;
  private final int streams;
  private final int seconds;

  IdleConnections(URI node, int connections, int streams, int seconds) {
    this.node = node;
    this.connections = connections;
    this.streams = streams;
    this.seconds = seconds;
  }

  boolean run() throws Exception {
    Http http = new Http(node);
    String run = "idle-" + System.currentTimeMillis();
    for (int s = 0; s < streams; s++) {
      http.postJson("api/streams/" + run + "-" + s + "/chunks", Http.chunk("m", "hello"));
    }
    long heapBefore = heapAfterGc();
    HttpClient client = HttpClient.newHttpClient();
    CountDownLatch first = new CountDownLatch(connections);
    List<WebSocket> open = new ArrayList<>(connections);
    String ws = node.toString().replaceFirst("^http", "ws");
    for (int i = 0; i < connections; i++) {
      URI uri = URI.create(ws + "ws/streams/" + run + "-" + (i % streams) + "?after=0");
      open.add(
          client
              .newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(30))
              .buildAsync(uri, new FirstFrame(first))
              .get(60, TimeUnit.SECONDS));
    }
    boolean allReceived = first.await(120, TimeUnit.SECONDS);
    long checks = http.metric("chunk_relay_idle_checks_total");
    long reads = http.metric("chunk_relay_backfill_reads_total");
    long cpu = http.metric("chunk_relay_process_cpu_millis");
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    double checksPerSecond =
        (http.metric("chunk_relay_idle_checks_total") - checks) / (double) seconds;
    double readsPerSecond =
        (http.metric("chunk_relay_backfill_reads_total") - reads) / (double) seconds;
    long cpuMillis = http.metric("chunk_relay_process_cpu_millis") - cpu;
    long heapWith = heapAfterGc();
    System.out.printf(
        "  %d connections over %d streams, all received their first chunk: %s%n",
        connections, streams, allReceived);
    System.out.printf(
        "  quiet for %d s: %.1f head reads/s (idle checks), %.1f chunk reads/s, server CPU %.2f"
            + " s%n",
        seconds, checksPerSecond, readsPerSecond, cpuMillis / 1e3);
    if (heapBefore > 0 && heapWith > 0) {
      System.out.printf(
          "  heap after GC: %.1f MiB before, %.1f MiB with the connections: %.1f KiB per"
              + " connection%n",
          heapBefore / 1048576.0,
          heapWith / 1048576.0,
          (heapWith - heapBefore) / 1024.0 / connections);
    } else {
      System.out.println("  heap per connection: unknown (no jcmd, or the node's pid not found)");
    }
    for (WebSocket socket : open) {
      socket.abort();
    }
    return allReceived;
  }

  /** The node's heap in use right after a full GC it was asked for; -1 if that cannot be done. */
  private long heapAfterGc() throws Exception {
    String pid = ServerProcess.pidListeningOn(node.getPort());
    if (pid == null) {
      return -1;
    }
    if (jcmd(pid, "GC.run") == null) {
      return -1;
    }
    // "garbage-first heap   total 262144K, used 53213K [...": the heap in use after that GC.
    String info = jcmd(pid, "GC.heap_info");
    java.util.regex.Matcher used =
        java.util.regex.Pattern.compile("used (\\d+)K").matcher(info == null ? "" : info);
    return used.find() ? Long.parseLong(used.group(1)) * 1024 : -1;
  }

  private static String jcmd(String pid, String command) throws Exception {
    Process jcmd = new ProcessBuilder("jcmd", pid, command).redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return jcmd.waitFor(60, TimeUnit.SECONDS) && jcmd.exitValue() == 0 ? out : null;
  }

  /** Counts a connection down once its first frame arrives, and keeps reading. */
  private record FirstFrame(CountDownLatch first) implements WebSocket.Listener {
    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      if (last) {
        first.countDown();
      }
      socket.request(1);
      return null;
    }
  }
}
