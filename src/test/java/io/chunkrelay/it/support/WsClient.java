package io.chunkrelay.it.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client for the tests, on the JDK's own implementation: collects whole text messages,
 * records how the server closed, and can stop reading (no demand, so the JDK stops reading the
 * socket and TCP pushes back on the server) and resume.
 */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
  private final StringBuilder partial = new StringBuilder();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private volatile boolean stalled;
  private volatile String closeReason;
  private volatile WebSocket socket;

  private WsClient() {}

  /** Connects to {@code http(s)://...} turned into {@code ws(s)://...}. */
  public static WsClient connect(URI httpUri) {
    return connect(httpUri, java.util.Map.of(), List.of());
  }

  /**
   * Connects with extra handshake {@code headers} and {@code subprotocols} offered; throws {@link
   * Refused} with the HTTP status when the server refuses the handshake.
   */
  public static WsClient connect(
      URI httpUri, java.util.Map<String, String> headers, List<String> subprotocols) {
    URI uri = URI.create(httpUri.toString().replaceFirst("^http", "ws"));
    WsClient client = new WsClient();
    WebSocket.Builder builder =
        HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    headers.forEach(builder::header);
    if (!subprotocols.isEmpty()) {
      builder.subprotocols(
          subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
    }
    try {
      client.socket = builder.buildAsync(uri, client).get(15, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
        throw new Refused(refused.getResponse().statusCode());
      }
      throw new IllegalStateException("cannot connect to " + uri + ": " + e, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot connect to " + uri + ": " + e, e);
    }
    return client;
  }

  /** The subprotocol the server chose, or "" when it chose none. */
  public String subprotocol() {
    return socket.getSubprotocol();
  }

  /** A handshake the server answered with an HTTP status instead of a WebSocket. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status) {
      super("handshake refused with HTTP " + status);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      messages.add(partial.toString());
      partial.setLength(0);
    }
    if (!stalled) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closeReason = reason;
    closeCode.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closeCode.completeExceptionally(error);
  }

  /** Stops reading after the message in flight: the server's sends back up into TCP. */
  public void stall() {
    stalled = true;
  }

  public void resume() {
    stalled = false;
    socket.request(1);
  }

  public void send(String text) {
    socket.sendText(text, true).join();
  }

  /** The next whole message, or an AssertionError after {@code timeout}. */
  public String next(Duration timeout) {
    try {
      String message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (message == null) {
        throw new AssertionError("no message within " + timeout);
      }
      return message;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The next {@code count} messages, all within {@code timeout}. */
  public List<String> next(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> received = new ArrayList<>(count);
    while (received.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "received " + received.size() + " of " + count + " messages within " + timeout);
      }
      received.add(next(Duration.ofNanos(left)));
    }
    return received;
  }

  /**
   * Reads chunk frames into {@code received} until the last one has seq {@code upTo}, each within
   * {@code timeout}.
   */
  public void receiveSeqs(List<Long> received, long upTo, Duration timeout) {
    while (received.isEmpty() || received.get(received.size() - 1) < upTo) {
      String frame = next(timeout);
      try {
        received.add(JSON.readTree(frame).get("seq").asLong());
      } catch (java.io.IOException e) {
        throw new AssertionError("not a JSON frame: " + frame, e);
      }
    }
  }

  /** The close code the server sent, waiting up to {@code timeout}. */
  public int closeCode(Duration timeout) {
    try {
      return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("no close within " + timeout + ": " + e, e);
    }
  }

  /** The reason the server gave with its close (after {@link #closeCode} returned). */
  public String closeReason() {
    return closeReason;
  }

  @Override
  public void close() {
    WebSocket current = socket;
    if (current != null && !current.isOutputClosed()) {
      current.sendClose(WebSocket.NORMAL_CLOSURE, "test done");
    }
    if (current != null) {
      current.abort();
    }
  }
}
