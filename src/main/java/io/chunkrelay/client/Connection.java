package io.chunkrelay.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps a silent connection from passing for a live one.
 *
 * <p>One WebSocket connection attempt of a {@link Subscription}: it opens, hands whole text frames
 * to the subscription, and reports its end once, whether the server closed it, the network failed,
 * or it went silent (a ping unanswered for one interval with nothing else arriving: a NAT or load
 * balancer that forgot the connection gives no other sign). The subscription ignores a connection
 * that is no longer its current one.
 */
final class Connection implements WebSocket.Listener {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final Subscription owner;
  private final Duration pingInterval;

  /** The server's close code for a subscription whose token expired. */
  static final int TOKEN_EXPIRED = 4401;

  /**
   * The server's close code for a stream whose chunks retention dropped; the reason reads {@code
   * stream-expired earliestSeq=N}.
   */
  static final int STREAM_EXPIRED = 4410;

  private final ScheduledExecutorService timer;
  private final StringBuilder partial = new StringBuilder();
  private final AtomicBoolean answerAwaited = new AtomicBoolean();
  private final AtomicReference<ScheduledFuture<?>> pinger = new AtomicReference<>();
  private volatile WebSocket socket;

  Connection(Subscription owner, Duration pingInterval, ScheduledExecutorService timer) {
    this.owner = owner;
    this.pingInterval = pingInterval;
    this.timer = timer;
  }

  /** Starts connecting to {@code uri}; the owner hears of the outcome. */
  void start(HttpClient http, URI uri, Authorization authorization) {
    WebSocket.Builder handshake = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT);
    authorization.addTo(handshake);
    handshake
        .buildAsync(uri, this)
        .whenComplete(
            (ws, failure) -> {
              if (failure != null) {
                owner.lost(this, "connect failed: " + failure.getMessage());
              }
            });
  }

  /** Cuts the connection at once, as a failing network would. */
  void abort() {
    stopPinging();
    WebSocket current = socket;
    if (current != null) {
      current.abort();
    }
  }

  /** Closes the connection politely (close frame), then releases it. */
  void close() {
    stopPinging();
    WebSocket current = socket;
    if (current != null) {
      current.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((ws, e) -> current.abort());
    }
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    long millis = pingInterval.toMillis();
    try {
      pinger.set(timer.scheduleAtFixedRate(this::ping, millis, millis, TimeUnit.MILLISECONDS));
    } catch (RejectedExecutionException clientClosed) {
      webSocket.abort();
      return;
    }
    owner.opened(this);
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    answerAwaited.set(false);
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      owner.frame(this, text);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    answerAwaited.set(false);
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    stopPinging();
    if (statusCode == TOKEN_EXPIRED) {
      owner.expired(this);
    } else if (statusCode == STREAM_EXPIRED) {
      owner.streamExpired(this, reason);
    } else {
      owner.lost(this, "closed by the server (" + statusCode + " " + reason + ")");
    }
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    stopPinging();
    owner.lost(this, "connection failed: " + error);
  }

  private void ping() {
    WebSocket current = socket;
    if (answerAwaited.getAndSet(true)) {
      abort();
      owner.lost(this, "no answer to a ping for " + pingInterval.toMillis() + " ms");
    } else if (current != null) {
      // A ping still in flight makes this one fail: the next tick judges by what arrived.
      current.sendPing(ByteBuffer.allocate(0));
    }
  }

  private void stopPinging() {
    ScheduledFuture<?> scheduled = pinger.getAndSet(null);
    if (scheduled != null) {
      scheduled.cancel(false);
    }
  }
}
