package io.chunkrelay.web.socket;

import io.chunkrelay.delivery.Frame;
import io.chunkrelay.delivery.FrameSink;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.util.function.Consumer;
import org.glassfish.tyrus.servlet.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the bound of promise 5 (lossless under pressure) on the wire: a send completes when the
 * container took its bytes. A {@link FrameSink} over a JSR-356 session, sending with the async API
 * (never blocking).
 */
public final class SessionSink implements FrameSink {
  private static final Logger LOG = LoggerFactory.getLogger(SessionSink.class);
  private final Session session;

  SessionSink(Session session) {
    this.session = session;
  }

  @Override
  public void send(Frame frame, Consumer<Throwable> done) {
    session
        .getAsyncRemote()
        .sendText(
            frame.text(), result -> done.accept(result.isOK() ? null : result.getException()));
  }

  /** The frames sent meanwhile leave in one flush (Tyrus's own batching is a no-op). */
  @Override
  public void batch(Runnable sends) {
    WriteBatch.run(sends);
  }

  @Override
  public void flush() {
    WriteBatch.flushHeld();
  }

  @Override
  public void close(int code, String reason) {
    try {
      session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
    } catch (IOException | IllegalStateException e) {
      LOG.debug("closing session {} failed: {}", session.getId(), e.toString());
    }
  }
}
