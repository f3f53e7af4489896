package io.chunkrelay.web.socket;

import io.chunkrelay.auth.Denied;
import io.chunkrelay.auth.Grant;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.delivery.StreamConnection;
import io.chunkrelay.guard.Guard;
import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.web.edge.AccessFilter;
import io.chunkrelay.web.edge.ClientFrames;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.StreamIdGrammar;
import io.chunkrelay.wire.WireFormat;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 3, 4 and 8 (exactly once, in order; subscribe first, then backfill; bad input gets
 * a clear error and changes nothing) at the WebSocket door.
 *
 * <p>One instance per WebSocket connection to {@code /ws/streams/{streamId}?after=N}. It validates
 * the request, then hands the connection to the node's {@link Delivery}, which subscribes,
 * backfills and delivers (see {@link StreamConnection}).
 */
public final class StreamEndpoint extends Endpoint {
  public static final String PATH = "/ws/streams/{streamId}";

  /**
   * The subprotocol a client offers beside {@code bearer.<token>}, so the handshake can echo it.
   */
  public static final String SUBPROTOCOL = "chunk-relay";

  /** Close code: the token expired; get a fresh one and reconnect with the last seq seen. */
  public static final int CLOSE_TOKEN_EXPIRED = 4401;

  /** Close code: the credential does not cover this stream or lacks the subscribe scope. */
  public static final int CLOSE_FORBIDDEN = 4403;

  private static final Logger LOG = LoggerFactory.getLogger(StreamEndpoint.class);
  private static final LogLimiter LOGS = new LogLimiter();

  private final ChunkLog log;
  private final Delivery delivery;
  private final int maxStreamIdChars;
  private final ScheduledExecutorService expiryTimer;
  private final Guard guard;
  private final AtomicReference<String> counted = new AtomicReference<>();
  private final AtomicBoolean failed = new AtomicBoolean();
  private StreamConnection connection;
  private volatile ScheduledFuture<?> expiry;

  private StreamEndpoint(
      ChunkLog log,
      Delivery delivery,
      int maxStreamIdChars,
      ScheduledExecutorService expiryTimer,
      Guard guard) {
    this.log = log;
    this.guard = guard;
    this.delivery = delivery;
    this.maxStreamIdChars = maxStreamIdChars;
    this.expiryTimer = expiryTimer;
  }

  /**
   * The endpoint's registration: one endpoint instance per connection, sharing the node's parts;
   * {@code expiryTimer} closes connections whose token expires; {@code guard} counts them.
   */
  public static ServerEndpointConfig config(
      ChunkLog log,
      Delivery delivery,
      int maxStreamIdChars,
      ScheduledExecutorService expiryTimer,
      Guard guard) {
    return ServerEndpointConfig.Builder.create(StreamEndpoint.class, PATH)
        .subprotocols(List.of(SUBPROTOCOL))
        .configurator(
            new ServerEndpointConfig.Configurator() {
              @Override
              public <T> T getEndpointInstance(Class<T> endpointClass) {
                return endpointClass.cast(
                    new StreamEndpoint(log, delivery, maxStreamIdChars, expiryTimer, guard));
              }
            })
        .build();
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    String address = AccessFilter.addressOf(session.getUserPrincipal());
    if (!guard.opened(address)) {
      // The node or this address filled up between the handshake's admission and now.
      refuse(
          session,
          ProblemType.TOO_MANY_CONNECTIONS,
          "no room for another connection; try again shortly",
          CloseReason.CloseCodes.TRY_AGAIN_LATER.getCode());
      return;
    }
    counted.set(address);
    // The protocol is server to client: a data frame from the client is a broken or hostile one.
    session.setMaxTextMessageBufferSize(ClientFrames.MAX_CLIENT_FRAME_BYTES);
    session.setMaxBinaryMessageBufferSize(ClientFrames.MAX_CLIENT_FRAME_BYTES);
    session.addMessageHandler(String.class, text -> unexpected(session, "text"));
    session.addMessageHandler(ByteBuffer.class, bytes -> unexpected(session, "binary"));
    String streamId = session.getPathParameters().get("streamId");
    String idProblem = StreamIdGrammar.problemWith(streamId, maxStreamIdChars);
    if (idProblem != null) {
      refuse(session, ProblemType.INVALID_STREAM_ID, idProblem);
      return;
    }
    Grant grant = AccessFilter.grantOf(session.getUserPrincipal());
    try {
      grant.require(Scope.SUBSCRIBE, streamId);
    } catch (Denied denied) {
      refuse(session, denied.type(), denied.getMessage(), CLOSE_FORBIDDEN);
      return;
    }
    List<String> afterValues = session.getRequestParameterMap().get("after");
    long after = 0;
    if (afterValues != null && !afterValues.isEmpty()) {
      try {
        after = Long.parseLong(afterValues.get(0));
      } catch (NumberFormatException e) {
        after = -1;
      }
      if (after < 0 || afterValues.size() > 1) {
        refuse(
            session,
            ProblemType.INVALID_PARAMETER,
            "after must be one integer of 0 or more, the last seq the client has");
        return;
      }
    }
    Optional<StreamInfo> stream;
    try {
      stream = log.stream(streamId);
    } catch (ChunkLogException.StreamExpired expired) {
      LOG.debug("ws refused session={}: {}", session.getId(), expired.getMessage());
      session
          .getAsyncRemote()
          .sendText(
              WireFormat.expiredFrame(expired.getMessage(), expired.earliestSeq()),
              result ->
                  closeQuietly(
                      session,
                      WireFormat.CLOSE_STREAM_EXPIRED,
                      WireFormat.expiredCloseReason(expired.earliestSeq())));
      return;
    }
    long head = stream.map(StreamInfo::headSeq).orElse(0L);
    if (after > head) {
      refuse(
          session,
          ProblemType.AFTER_BEYOND_HEAD,
          "after=" + after + " is beyond the stream's last seq " + head);
      return;
    }
    LOG.debug(
        "ws open stream={} after={} session={} sub={}",
        streamId,
        after,
        session.getId(),
        grant.subject().orElse("-"));
    connection = delivery.open(session.getId(), streamId, after, new SessionSink(session));
    if (!session.isOpen()) {
      return; // the node is stopping: delivery sent it away (1001) at once
    }
    grant
        .expiresAt()
        .ifPresent(
            at ->
                expiry =
                    expiryTimer.schedule(
                        () ->
                            refuse(
                                session,
                                ProblemType.TOKEN_EXPIRED,
                                "the token expired; reconnect with a fresh one and after=<last seq>",
                                CLOSE_TOKEN_EXPIRED),
                        Math.max(0, at.toEpochMilli() - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS));
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    if (reason.getCloseCode() == CloseReason.CloseCodes.UNEXPECTED_CONDITION) {
      // Tyrus's reader gave up on what the client sent (a frame over its buffer, say): one line.
      LOGS.info(
          LOG,
          "closed-1011",
          "ws session={} from {} closed with 1011: {}",
          session.getId(),
          counted.get(),
          reason.getReasonPhrase());
    }
    stopExpiry();
    uncount();
    if (connection != null) {
      connection.closed();
      LOG.debug(
          "ws closed stream={} session={} code={}",
          connection.streamId(),
          session.getId(),
          reason.getCloseCode().getCode());
    }
  }

  @Override
  public void onError(Session session, Throwable failure) {
    if (!failed.compareAndSet(false, true)) {
      // Tyrus reports each later read of a connection that already failed again: once is enough.
      return;
    }
    String stream = connection == null ? "-" : connection.streamId();
    if (clientsFault(failure)) {
      // The client's doing (an oversized or malformed message, a dropped connection): one line,
      // and a flood of them one line a minute.
      LOGS.info(
          LOG,
          "client-fault " + failure.getClass().getName(),
          "ws session={} stream={} ended by the client: {}",
          session.getId(),
          stream,
          failure.toString());
    } else {
      LOGS.warn(
          LOG, "server-fault", "ws error session={} stream={}", session.getId(), stream, failure);
    }
    stopExpiry();
    uncount();
    if (connection != null) {
      connection.closed();
    }
  }

  /**
   * Whether a WebSocket failure is the client's doing: the connection broke, or the client broke
   * the protocol (Tyrus reports an oversized or malformed message, a bad frame or bad UTF-8 as its
   * own exceptions).
   */
  static boolean clientsFault(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.io.IOException
          || t.getClass().getName().startsWith("org.glassfish.tyrus.core.")) {
        return true;
      }
    }
    return false;
  }

  private void unexpected(Session session, String kind) {
    LOG.debug("ws session={} sent a {} frame; closing with 1003", session.getId(), kind);
    refuse(
        session,
        ProblemType.UNEXPECTED_FRAME,
        "the server sends and the client only listens: no " + kind + " frames",
        CloseReason.CloseCodes.CANNOT_ACCEPT.getCode());
  }

  /** Gives the connection's place back, once, whichever of close and error comes first. */
  private void uncount() {
    String address = counted.getAndSet(null);
    if (address != null) {
      guard.closed(address);
    }
  }

  private void stopExpiry() {
    ScheduledFuture<?> timer = expiry;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private static void refuse(Session session, ProblemType type, String message) {
    refuse(session, type, message, CloseReason.CloseCodes.VIOLATED_POLICY.getCode());
  }

  /**
   * Sends an error frame, then closes with {@code closeCode} (1008, policy violation, unless said).
   * Asynchronously: onOpen runs inside the upgrade, before the container can report the connection
   * writable, so a blocking send here would wait for itself.
   */
  private static void refuse(Session session, ProblemType type, String message, int closeCode) {
    LOG.debug("ws refused session={} code={}: {}", session.getId(), type.code(), message);
    session
        .getAsyncRemote()
        .sendText(
            WireFormat.errorFrame(type, message),
            result -> closeQuietly(session, closeCode, type.code()));
  }

  private static void closeQuietly(Session session, int closeCode, String reason) {
    try {
      session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(closeCode), reason));
    } catch (IOException e) {
      LOG.debug("could not close refused session {}: {}", session.getId(), e.toString());
    }
  }
}
