package io.chunkrelay.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One stream followed over a WebSocket, from a seq on, until the stream completes or {@link
 * #close()} is called.
 *
 * <p>Life: {@code CONNECTING -> LIVE}; a lost connection goes to {@code RECONNECTING}, waits
 * (exponential backoff with full jitter, reset once a connection delivers a chunk) and connects
 * again with {@code after=<last seq delivered>}. It ends in {@code COMPLETE} (the stream's complete
 * frame arrived and every chunk before it was delivered), {@code CLOSED} (by {@link #close()}) or
 * {@code FAILED} (the server refused the stream for good, e.g. an invalid stream id).
 *
 * <p>The server sends every chunk once and in order; the subscription checks again: a seq it
 * already delivered is dropped, and a seq beyond the next one (a gap) is not delivered but makes it
 * reconnect from the last seq it has. Listener calls are made one at a time, in seq order; keep
 * them short.
 */
public final class Subscription {
  /** Where a subscription is in its life. */
  public enum State {
    CONNECTING,
    LIVE,
    RECONNECTING,
    COMPLETE,
    CLOSED,
    FAILED
  }

  /** Hears a subscription's chunks and, optionally, its end, states and errors. */
  @FunctionalInterface
  public interface Listener {
    void onChunk(Chunk chunk);

    default void onComplete(long lastSeq) {}

    default void onStateChange(State state) {}

    /** A problem the subscription reported or recovered from, with its stable code. */
    default void onError(String code, String message) {}
  }

  private static final Set<String> PERMANENT_ERRORS =
      Set.of("invalid-stream-id", "invalid-parameter", "after-beyond-head");
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final HttpClient http;
  private final URI uri;
  private final String streamId;
  private final Listener listener;
  private final Backoff backoff;
  private final ScheduledExecutorService timer;
  private final CompletableFuture<Long> completion = new CompletableFuture<>();

  // Guarded by this.
  private State state = State.CONNECTING;
  private long lastSeq;
  private int failures;
  private int generation;
  private WebSocket socket;
  private long reconnects;

  Subscription(
      HttpClient http,
      URI uri,
      String streamId,
      long after,
      Listener listener,
      Backoff backoff,
      ScheduledExecutorService timer) {
    this.http = http;
    this.uri = uri;
    this.streamId = streamId;
    this.lastSeq = after;
    this.listener = listener;
    this.backoff = backoff;
    this.timer = timer;
  }

  public String streamId() {
    return streamId;
  }

  /** The seq of the last chunk delivered; the next connection resumes after it. */
  public synchronized long lastSeq() {
    return lastSeq;
  }

  public synchronized State state() {
    return state;
  }

  /** How many times a lost connection was opened again. */
  public synchronized long reconnects() {
    return reconnects;
  }

  /**
   * Completes with the stream's last seq once everything was delivered; completes exceptionally
   * with a {@link ChunkRelayException} if the server refused the stream, or is cancelled by {@link
   * #close()}.
   */
  public CompletableFuture<Long> completion() {
    return completion;
  }

  /** Cuts the current connection as a failing network would; the subscription reconnects. */
  public synchronized void drop() {
    if (socket != null && !isOver()) {
      socket.abort();
      lost(generation, "dropped");
    }
  }

  /** Stops for good: no more listener calls, no reconnects. */
  public synchronized void close() {
    if (isOver()) {
      return;
    }
    setState(State.CLOSED);
    closeSocket();
    completion.cancel(false);
  }

  synchronized void start() {
    open();
  }

  private void open() {
    int attempt = ++generation;
    setState(State.CONNECTING);
    http.newWebSocketBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .buildAsync(URI.create(uri + "?after=" + lastSeq), new Socket(attempt))
        .whenComplete(
            (ws, failure) -> {
              if (failure != null) {
                synchronized (this) {
                  lost(attempt, "connect failed: " + failure.getMessage());
                }
              }
            });
  }

  /** A connection ended without the stream completing: wait, then connect again. */
  private void lost(int attempt, String why) {
    if (attempt != generation || isOver()) {
      return;
    }
    generation++;
    socket = null;
    failures++;
    reconnects++;
    long delayMillis = backoff.delayMillis(failures);
    listener.onError("connection-lost", why + "; reconnecting in " + delayMillis + " ms");
    setState(State.RECONNECTING);
    try {
      timer.schedule(this::reconnect, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException clientClosed) {
      close();
    }
  }

  private synchronized void reconnect() {
    if (!isOver()) {
      open();
    }
  }

  private void receive(int attempt, String text) {
    if (attempt != generation || isOver()) {
      return;
    }
    JsonNode frame;
    try {
      frame = ChunkRelayClient.JSON.readTree(text);
    } catch (IOException e) {
      listener.onError("malformed-frame", "the server sent a frame that is not JSON");
      return;
    }
    switch (frame.path("type").asText()) {
      case "chunk" -> chunk(attempt, frame);
      case "complete" -> {
        long last = frame.path("lastSeq").asLong();
        if (last > lastSeq) {
          gap(attempt, last);
        } else {
          setState(State.COMPLETE);
          closeSocket();
          listener.onComplete(last);
          completion.complete(last);
        }
      }
      case "error" -> {
        String code = frame.path("code").asText();
        String message = frame.path("message").asText();
        listener.onError(code, message);
        if (PERMANENT_ERRORS.contains(code)) {
          setState(State.FAILED);
          closeSocket();
          completion.completeExceptionally(
              new ChunkRelayException(400, code, "stream " + streamId + ": " + message, null));
        }
      }
      default -> listener.onError("unknown-frame", "ignored a frame of type " + frame.path("type"));
    }
  }

  private void chunk(int attempt, JsonNode frame) {
    long seq = frame.path("seq").asLong();
    if (seq <= lastSeq) {
      return; // a duplicate: already delivered
    }
    if (seq > lastSeq + 1) {
      gap(attempt, seq);
      return;
    }
    lastSeq = seq;
    failures = 0;
    listener.onChunk(
        new Chunk(
            seq,
            frame.path("messageId").asText(),
            frame.path("content").asText(),
            frame.path("final").asBoolean()));
  }

  private void gap(int attempt, long seenSeq) {
    listener.onError("gap-detected", "expected seq " + (lastSeq + 1) + ", got " + seenSeq);
    WebSocket current = socket;
    lost(attempt, "gap detected");
    if (current != null) {
      current.abort();
    }
  }

  private void closeSocket() {
    WebSocket current = socket;
    socket = null;
    generation++;
    if (current != null) {
      current.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((ws, e) -> current.abort());
    }
  }

  private boolean isOver() {
    return state == State.COMPLETE || state == State.CLOSED || state == State.FAILED;
  }

  private void setState(State next) {
    if (next != state) {
      state = next;
      listener.onStateChange(next);
    }
  }

  /** The listener of one connection attempt; callbacks of an older attempt are ignored. */
  private final class Socket implements WebSocket.Listener {
    private final int attempt;
    private final StringBuilder partial = new StringBuilder();

    Socket(int attempt) {
      this.attempt = attempt;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      synchronized (Subscription.this) {
        if (attempt == generation && !isOver()) {
          socket = webSocket;
          setState(State.LIVE);
        } else {
          webSocket.abort();
        }
      }
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        synchronized (Subscription.this) {
          receive(attempt, text);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      synchronized (Subscription.this) {
        lost(attempt, "closed by the server (" + statusCode + " " + reason + ")");
      }
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      synchronized (Subscription.this) {
        lost(attempt, "connection failed: " + error);
      }
    }
  }
}
