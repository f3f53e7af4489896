package io.chunkrelay.delivery;

import java.util.function.Consumer;

/**
 * Keeps promise 6 (fail closed) on the way out: a frame goes to the client only while the registry
 * holds this very connection ready. Up to {@value #WINDOW} frames of a connection are in flight at
 * once, so the container writes what is queued together (one flush for many frames) instead of one
 * frame per round trip; they stay in the connection's bounded queue until their sends complete,
 * which is what bounds a slow client's memory (a send completes when the container took its bytes).
 */
final class Sender {
  private final StreamConnection connection;
  private final FrameSink sink;
  private final ConnectionRegistry registry;

  /** Most frames of one connection handed to the container and not yet completed. */
  static final int WINDOW = 32;

  private int inFlight;

  Sender(StreamConnection connection, FrameSink sink, ConnectionRegistry registry) {
    this.connection = connection;
    this.sink = sink;
    this.registry = registry;
  }

  /**
   * Sends {@code frame} unless {@value #WINDOW} sends are in flight or the registry does not hold
   * the connection ready; {@code done} hears the outcome once. Returns whether the frame went to
   * the sink.
   */
  boolean send(Frame frame, Consumer<Throwable> done) {
    if (inFlight >= WINDOW || !registry.isReady(connection)) {
      return false;
    }
    inFlight++;
    try {
      sink.send(frame, done);
    } catch (RuntimeException e) {
      done.accept(e);
    }
    return true;
  }

  /** The oldest send in flight completed, one way or the other. */
  void completed() {
    inFlight = Math.max(0, inFlight - 1);
  }

  /** Sends handed to the sink and not yet completed. */
  int inFlight() {
    return inFlight;
  }

  /** Frames sent and held back for one flush at the end of the turn leave now. */
  void flush() {
    sink.flush();
  }

  void close(int code, String reason) {
    sink.close(code, reason);
  }
}
