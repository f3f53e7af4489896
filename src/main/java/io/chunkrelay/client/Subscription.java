package io.chunkrelay.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps promise 3 (exactly once, in order) on the client's side, as a second line of defence.
 *
 * <p>One stream followed over a WebSocket, from a seq on, until the stream completes or {@link
 * #close()} is called.
 *
 * <p>Life: {@code CONNECTING -> LIVE}; a lost connection goes to {@code RECONNECTING}, waits
 * (exponential backoff with full jitter, reset once a connection delivers a chunk) and connects
 * again with {@code after=<last seq delivered>}. It ends in {@code COMPLETE} (the stream's complete
 * frame arrived and every chunk before it was delivered), {@code CLOSED} (by {@link #close()}) or
 * {@code FAILED} (the server refused the stream for good, e.g. an invalid stream id).
 *
 * <p>A connection that goes silent without closing is noticed by ping (see {@link Connection}).
 *
 * <p>The server sends every chunk once and in order; the subscription checks again: a seq it
 * already delivered is dropped, and a seq beyond the next one (a gap) is not delivered but makes it
 * reconnect from the last seq it has. A subscription from the stream's start also keeps the
 * stream's hash chain ({@link StreamChain}) over what it delivered and checks it against the {@code
 * complete} frame's: a mismatch (what arrived is not what the database holds) fails it with {@code
 * chain-mismatch}. Listener calls are made one at a time, in seq order; keep them short.
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
      Set.of(
          "invalid-stream-id",
          "invalid-parameter",
          "after-beyond-head",
          "stream-not-allowed",
          "scope-not-allowed");

  private final HttpClient http;
  private final URI uri;
  private final String streamId;
  private final Listener listener;
  private final Backoff backoff;
  private final Duration pingInterval;
  private final ScheduledExecutorService timer;
  private final Authorization authorization;
  private final CompletableFuture<Long> completion = new CompletableFuture<>();

  // Guarded by this.
  private State state = State.CONNECTING;
  private long lastSeq;

  /** The hash chain over the chunks delivered; null when the subscription began mid-stream. */
  private StreamChain chain;

  private int failures;
  private Connection current;
  private long reconnects;

  Subscription(
      HttpClient http,
      URI uri,
      String streamId,
      long after,
      Listener listener,
      Backoff backoff,
      Duration pingInterval,
      ScheduledExecutorService timer,
      Authorization authorization) {
    this.http = http;
    this.authorization = authorization;
    this.uri = uri;
    this.streamId = streamId;
    this.lastSeq = after;
    this.chain = after == 0 ? StreamChain.genesis(streamId) : null;
    this.listener = listener;
    this.backoff = backoff;
    this.pingInterval = pingInterval;
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

  /**
   * The stream's hash chain link after the last chunk delivered (hex), to compare with {@code GET
   * /api/streams/{id}}'s {@code chain} at the same head; null for a subscription that began after
   * seq 0, which did not see the chunks the chain starts with.
   */
  public synchronized String chain() {
    return chain == null ? null : chain.hex();
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
    if (state == State.LIVE) {
      Connection dropped = current;
      lost(dropped, "dropped");
      dropped.abort();
    }
  }

  /** Stops for good: no more listener calls, no reconnects. */
  public synchronized void close() {
    if (isOver()) {
      return;
    }
    setState(State.CLOSED);
    release();
    completion.cancel(false);
  }

  synchronized void start() {
    open();
  }

  private void open() {
    setState(State.CONNECTING);
    // Current before it starts: its outcome may be reported before start returns.
    current = new Connection(this, pingInterval, timer);
    try {
      current.start(http, URI.create(uri + "?after=" + lastSeq), authorization);
    } catch (ChunkRelayException noToken) {
      lost(current, noToken.getMessage());
    }
  }

  synchronized void opened(Connection connection) {
    if (connection == current && !isOver()) {
      setState(State.LIVE);
    } else {
      connection.abort();
    }
  }

  /** A connection ended without the stream completing: wait, then connect again. */
  synchronized void lost(Connection connection, String why) {
    if (connection != current || isOver()) {
      return;
    }
    current = null;
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

  /**
   * The server closed the connection because its token expired: connect again at once (the token
   * provider is asked for a fresh one), resuming after the last seq.
   */
  synchronized void expired(Connection connection) {
    if (connection != current || isOver()) {
      return;
    }
    current = null;
    reconnects++;
    listener.onError("token-expired", "the token expired; reconnecting with a fresh one");
    open();
  }

  /**
   * The server closed the connection because retention dropped the stream's chunks: a definite end
   * (nothing to resume), so the subscription fails with {@code stream-expired}.
   */
  synchronized void streamExpired(Connection connection, String reason) {
    if (connection != current || isOver()) {
      return;
    }
    current = null;
    String message =
        "stream "
            + streamId
            + " expired: retention dropped its chunks after seq "
            + lastSeq
            + " ("
            + reason
            + ")";
    listener.onError("stream-expired", message);
    setState(State.FAILED);
    release();
    completion.completeExceptionally(new ChunkRelayException(410, "stream-expired", message, null));
  }

  private synchronized void reconnect() {
    if (!isOver()) {
      open();
    }
  }

  synchronized void frame(Connection connection, String text) {
    if (connection != current || isOver()) {
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
      case "chunk" -> chunk(connection, frame);
      case "complete" -> {
        long last = frame.path("lastSeq").asLong();
        if (last > lastSeq) {
          gap(connection, last);
        } else if (chain != null
            && frame.hasNonNull("chain")
            && !chain.matches(frame.path("chain").asText())) {
          String message =
              "stream "
                  + streamId
                  + ": the chunks received hash to "
                  + chain.hex()
                  + ", the log's chain at seq "
                  + last
                  + " is "
                  + frame.path("chain").asText();
          listener.onError("chain-mismatch", message);
          setState(State.FAILED);
          release();
          completion.completeExceptionally(
              new ChunkRelayException(0, "chain-mismatch", message, null));
        } else {
          setState(State.COMPLETE);
          release();
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
          release();
          completion.completeExceptionally(
              new ChunkRelayException(400, code, "stream " + streamId + ": " + message, null));
        }
      }
      default -> listener.onError("unknown-frame", "ignored a frame of type " + frame.path("type"));
    }
  }

  private void chunk(Connection connection, JsonNode frame) {
    long seq = frame.path("seq").asLong();
    if (seq <= lastSeq) {
      return; // a duplicate: already delivered
    }
    if (seq > lastSeq + 1) {
      gap(connection, seq);
      return;
    }
    lastSeq = seq;
    failures = 0;
    Chunk chunk =
        new Chunk(
            seq,
            frame.path("messageId").asText(),
            frame.path("content").asText(),
            frame.path("final").asBoolean());
    if (chain != null) {
      chain = chain.next(chunk);
    }
    listener.onChunk(chunk);
  }

  private void gap(Connection connection, long seenSeq) {
    listener.onError("gap-detected", "expected seq " + (lastSeq + 1) + ", got " + seenSeq);
    lost(connection, "gap detected");
    connection.abort();
  }

  /** Lets the current connection go: the stream ended or the subscription was closed. */
  private void release() {
    Connection released = current;
    current = null;
    if (released != null) {
      released.close();
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
}
