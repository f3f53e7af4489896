package io.chunkrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A subscriber that behaves like a browser on a bad network: it connects to a random node with
 * {@code after} = the last seq it saw, drops the connection abruptly after a random time
 * (exponential, mean {@code meanDropMillis}; 0 for never), and reconnects, until the stream's
 * complete frame arrives. It records every chunk seq exactly as received, so the caller can check
 * for loss, duplicates and reordering across all its connections.
 */
public final class ResumingClient {
  private static final ObjectMapper JSON = Json.MAPPER;

  private final HttpClient http;
  private volatile String bearer;
  private final List<URI> nodes;
  private final String streamId;
  private final Random random;
  private final double meanDropMillis;
  private final LongConsumer latencyNanos;
  private final Object lock = new Object();
  private final List<Long> seqs = new ArrayList<>();
  private long completeLastSeq = -1;
  private int connections;
  private String lastError;

  /** Sends {@code token} with every handshake (a node that requires tokens). */
  public ResumingClient withBearer(String token) {
    this.bearer = token;
    return this;
  }

  public ResumingClient(
      HttpClient http,
      List<URI> nodes,
      String streamId,
      long seed,
      double meanDropMillis,
      LongConsumer latencyNanos) {
    this.http = http;
    this.nodes = nodes;
    this.streamId = streamId;
    this.random = new Random(seed);
    this.meanDropMillis = meanDropMillis;
    this.latencyNanos = latencyNanos;
  }

  /**
   * Runs until the complete frame arrived or {@code timeout} passed; returns whether it completed.
   */
  public boolean run(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long after;
      synchronized (lock) {
        if (completeLastSeq >= 0) {
          return true;
        }
        after = seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
        connections++;
      }
      URI node = nodes.get(random.nextInt(nodes.size()));
      URI uri =
          URI.create(
              node.toString().replaceFirst("^http", "ws")
                  + "ws/streams/"
                  + streamId
                  + "?after="
                  + after);
      Connection connection = new Connection();
      WebSocket socket;
      try {
        WebSocket.Builder handshake =
            http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (bearer != null) {
          handshake.header("Authorization", "Bearer " + bearer);
        }
        socket = handshake.buildAsync(uri, connection).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        synchronized (lock) {
          lastError = "connect " + uri + ": " + e;
        }
        Thread.sleep(50 + random.nextInt(100));
        continue;
      }
      long dropAfterMillis =
          meanDropMillis <= 0
              ? Long.MAX_VALUE / 2
              : (long) (-Math.log(1 - random.nextDouble()) * meanDropMillis);
      long wait =
          Math.min(dropAfterMillis, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      try {
        connection.ended.get(Math.max(wait, 1), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException dropNow) {
        // the network "fails" here
      } catch (java.util.concurrent.ExecutionException e) {
        synchronized (lock) {
          lastError = "connection to " + node + ": " + e.getCause();
        }
      }
      connection.deactivate();
      socket.abort();
    }
    synchronized (lock) {
      return completeLastSeq >= 0;
    }
  }

  public List<Long> seqs() {
    synchronized (lock) {
      return List.copyOf(seqs);
    }
  }

  public long completeLastSeq() {
    synchronized (lock) {
      return completeLastSeq;
    }
  }

  public int connections() {
    synchronized (lock) {
      return connections;
    }
  }

  public String lastError() {
    synchronized (lock) {
      return lastError;
    }
  }

  public String streamId() {
    return streamId;
  }

  /** One connection's listener; once deactivated, whatever it still receives is ignored. */
  private final class Connection implements WebSocket.Listener {
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private boolean active = true;

    void deactivate() {
      synchronized (lock) {
        active = false;
      }
    }

    /** Demand for every frame at once: a demand signal per frame is a hand-off per frame. */
    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        receive(text);
      }
      return null;
    }

    private void receive(String text) {
      long now = System.nanoTime();
      JsonNode frame;
      try {
        frame = JSON.readTree(text);
      } catch (java.io.IOException e) {
        ended.completeExceptionally(e);
        return;
      }
      synchronized (lock) {
        if (!active) {
          return;
        }
        switch (frame.path("type").asText()) {
          case "chunk" -> {
            seqs.add(frame.get("seq").asLong());
            String content = frame.path("content").asText();
            if (latencyNanos != null && content.startsWith("t=")) {
              latencyNanos.accept(now - Long.parseLong(content.substring(2)));
            }
          }
          case "complete" -> {
            completeLastSeq = frame.get("lastSeq").asLong();
            ended.complete(null);
          }
          default -> {
            lastError = "server said: " + text;
            ended.complete(null);
          }
        }
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      ended.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      ended.completeExceptionally(error);
    }
  }
}
