package io.chunkrelay.ws;

import io.chunkrelay.api.ProblemType;
import io.chunkrelay.api.StreamIdGrammar;
import io.chunkrelay.api.WireFormat;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.StreamInfo;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per WebSocket connection to {@code /ws/streams/{streamId}?after=N}. It validates the
 * request, then hands the connection to a {@link TableFollower} that delivers from the chunk log.
 */
public final class StreamEndpoint extends Endpoint {
  public static final String PATH = "/ws/streams/{streamId}";
  private static final Logger LOG = LoggerFactory.getLogger(StreamEndpoint.class);

  private final ChunkLog log;
  private final Delivery delivery;
  private TableFollower follower;

  /** What every connection of a node shares: the log, the scheduler and the delivery settings. */
  public record Delivery(
      ChunkLog log,
      ScheduledExecutorService scheduler,
      long pollMillis,
      int pageChunks,
      int maxStreamIdChars) {}

  private StreamEndpoint(Delivery delivery) {
    this.log = delivery.log();
    this.delivery = delivery;
  }

  /** The endpoint's registration, creating one endpoint per connection around {@code delivery}. */
  public static ServerEndpointConfig config(Delivery delivery) {
    return ServerEndpointConfig.Builder.create(StreamEndpoint.class, PATH)
        .configurator(
            new ServerEndpointConfig.Configurator() {
              @Override
              public <T> T getEndpointInstance(Class<T> endpointClass) {
                return endpointClass.cast(new StreamEndpoint(delivery));
              }
            })
        .build();
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    String streamId = session.getPathParameters().get("streamId");
    String idProblem = StreamIdGrammar.problemWith(streamId, delivery.maxStreamIdChars());
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
    follower = new TableFollower(session, streamId, after + 1, delivery);
    follower.start();
  }

  @Override
  public void onClose(Session session, CloseReason reason) {
    if (follower != null) {
      follower.stop();
      LOG.debug(
          "ws closed stream={} session={} code={}",
          follower.streamId(),
          session.getId(),
          reason.getCloseCode().getCode());
    }
  }

  @Override
  public void onError(Session session, Throwable failure) {
    LOG.debug("ws error session={}: {}", session.getId(), failure.toString());
    if (follower != null) {
      follower.stop();
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
