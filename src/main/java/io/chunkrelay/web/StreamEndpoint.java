package io.chunkrelay.web;

import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.delivery.StreamConnection;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.StreamInfo;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.StreamIdGrammar;
import io.chunkrelay.wire.WireFormat;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 3, 4 and 8 at the WebSocket door.
 *
 * <p>One instance per WebSocket connection to {@code /ws/streams/{streamId}?after=N}. It validates
 * the request, then hands the connection to the node's {@link Delivery}, which subscribes,
 * backfills and delivers (see {@link StreamConnection}).
 */
public final class StreamEndpoint extends Endpoint {
  public static final String PATH = "/ws/streams/{streamId}";
  private static final Logger LOG = LoggerFactory.getLogger(StreamEndpoint.class);

  private final ChunkLog log;
  private final Delivery delivery;
  private final int maxStreamIdChars;
  private StreamConnection connection;

  private StreamEndpoint(ChunkLog log, Delivery delivery, int maxStreamIdChars) {
    this.log = log;
    this.delivery = delivery;
    this.maxStreamIdChars = maxStreamIdChars;
  }

  /**
   * The endpoint's registration: one endpoint instance per connection, sharing the node's parts.
   */
  public static ServerEndpointConfig config(ChunkLog log, Delivery delivery, int maxStreamIdChars) {
    return ServerEndpointConfig.Builder.create(StreamEndpoint.class, PATH)
        .configurator(
            new ServerEndpointConfig.Configurator() {
              @Override
              public <T> T getEndpointInstance(Class<T> endpointClass) {
                return endpointClass.cast(new StreamEndpoint(log, delivery, maxStreamIdChars));
              }
            })
        .build();
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    String streamId = session.getPathParameters().get("streamId");
    String idProblem = StreamIdGrammar.problemWith(streamId, maxStreamIdChars);
    if (idProblem != null) {
      refuse(session, ProblemType.INVALID_STREAM_ID, idProblem);
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
    Optional<StreamInfo> stream = log.stream(streamId);
    long head = stream.map(StreamInfo::headSeq).orElse(0L);
    if (after > head) {
      refuse(
          session,
          ProblemType.AFTER_BEYOND_HEAD,
          "after=" + after + " is beyond the stream's last seq " + head);
      return;
    }
    LOG.debug("ws open stream={} after={} session={}", streamId, after, session.getId());
    connection = delivery.open(session.getId(), streamId, after, new SessionSink(session));
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
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
    LOG.debug("ws error session={}: {}", session.getId(), failure.toString());
    if (connection != null) {
      connection.closed();
    }
  }

  /**
   * Sends an error frame, then closes with 1008 (policy violation). Asynchronously: onOpen runs
   * inside the upgrade, before the container can report the connection writable, so a blocking send
   * here would wait for itself.
   */
  private static void refuse(Session session, ProblemType type, String message) {
    LOG.debug("ws refused session={} code={}: {}", session.getId(), type.code(), message);
    session
        .getAsyncRemote()
        .sendText(
            WireFormat.errorFrame(type, message),
            result -> {
              try {
                session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, type.code()));
              } catch (IOException e) {
                LOG.debug("could not close refused session {}: {}", session.getId(), e.toString());
              }
            });
  }
}
