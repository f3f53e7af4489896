package io.chunkrelay.bench;

import io.chunkrelay.it.support.Http;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The catch-up figure: writes a stream of {@code chunks} chunks (500-chunk batches), completes it,
 * then connects one WebSocket client from seq 0 and times it until the complete frame: chunks per
 * second of a reader far behind, every one read from the log, and the node's CPU for it. A first
 * read warms the driver up and is not measured; {@value #ROUNDS} measured reads follow. Checks that
 * the seqs arrive 1, 2, 3, ... without a hole or a repeat, every time.
 */
final class CatchUp {
  private static final int BATCH = 500;
  private static final int ROUNDS = 3;

  private final URI node;
  private final int chunks;

  CatchUp(URI node, int chunks) {
    this.node = node;
    this.chunks = chunks;
  }

  boolean run() throws Exception {
    Http http = new Http(node);
    String stream = "catchup-" + System.currentTimeMillis();
    String path = "api/streams/" + stream + "/chunks";
    for (int written = 0; written < chunks; written += BATCH) {
      StringBuilder batch = new StringBuilder("[");
      for (int i = 0; i < Math.min(BATCH, chunks - written); i++) {
        batch.append(i == 0 ? "" : ",").append(Http.chunk("m", "token " + (written + i) + " "));
      }
      Http.Response response = http.postJson(path, batch.append(']').toString());
      if (response.status() != 201) {
        throw new IllegalStateException("append failed: " + response.body());
      }
    }
    http.postJson("api/streams/" + stream + "/complete", "");
    // The driver's JVM is as fresh as its first read: that read warms it up and is not measured.
    boolean exact = read(http, stream, false);
    for (int round = 1; round <= ROUNDS; round++) {
      exact &= read(http, stream, true);
    }
    System.out.println(exact ? "  result: exact" : "  result: NOT EXACT");
    return exact;
  }

  /** One client reads the whole stream from seq 0; returns whether it arrived exactly. */
  private boolean read(Http http, String stream, boolean measured) throws Exception {
    long cpu = http.metric("chunk_relay_process_cpu_millis");
    long reads = http.metric("chunk_relay_backfill_reads_total");
    Reader reader = new Reader();
    long start = System.nanoTime();
    URI ws = URI.create(node.toString().replaceFirst("^http", "ws") + "ws/streams/" + stream);
    WebSocket socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .buildAsync(URI.create(ws + "?after=0"), reader)
            .get(30, TimeUnit.SECONDS);
    reader.done.get(10, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - start) / 1e9;
    long used = http.metric("chunk_relay_process_cpu_millis") - cpu;
    socket.abort();
    System.out.printf(
        "  %s %d chunks in %.2f s: %.0f chunks/s, %d log reads, server CPU %.2f s (%.2f ms"
            + " per 1000 chunks)%n",
        measured ? "caught up" : "warm-up read (not measured):",
        reader.received.get(),
        seconds,
        reader.received.get() / seconds,
        http.metric("chunk_relay_backfill_reads_total") - reads,
        used / 1e3,
        used * 1000.0 / Math.max(1, reader.received.get()));
    return reader.received.get() == chunks && !reader.outOfOrder;
  }

  /** Counts chunk frames, checks their order, and finishes at the complete frame. */
  private static final class Reader implements WebSocket.Listener {
    final AtomicLong received = new AtomicLong();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile boolean outOfOrder;
    private final StringBuilder partial = new StringBuilder();

    /** Demand for every frame at once: one demand signal per frame costs the driver a hand-off. */
    @Override
    public void onOpen(WebSocket socket) {
      socket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String frame = partial.toString();
        partial.setLength(0);
        if (frame.startsWith("{\"type\":\"chunk\"")) {
          int at = frame.indexOf("\"seq\":") + 6;
          long seq = Long.parseLong(frame.substring(at, frame.indexOf(',', at)));
          if (seq != received.incrementAndGet()) {
            outOfOrder = true;
          }
        } else if (frame.contains("\"complete\"")) {
          done.complete(null);
        }
      }
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      done.completeExceptionally(error);
    }
  }
}
