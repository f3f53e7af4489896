package io.chunkrelay.delivery;

import java.util.function.Consumer;

/**
 * Keeps promise 6 on the way out: a frame goes to the client only while the registry holds this
 * very connection ready, and at most one frame of a connection is in flight, which is what bounds a
 * slow client's memory (a send completes when the container took its bytes).
 */
final class Sender {
  private final StreamConnection connection;
  private final FrameSink sink;
  private final ConnectionRegistry registry;
  private boolean inFlight;

  Sender(StreamConnection connection, FrameSink sink, ConnectionRegistry registry) {
    this.connection = connection;
    this.sink = sink;
    this.registry = registry;
  }

  /**
   * Sends {@code frame} unless a send is in flight or the registry does not hold the connection
   * ready; {@code done} hears the outcome once. Returns whether the frame went to the sink.
   */
  boolean send(Frame frame, Consumer<Throwable> done) {
    if (inFlight || !registry.isReady(connection)) {
      return false;
    }
    inFlight = true;
    try {
      sink.send(frame, done);
    } catch (RuntimeException e) {
      done.accept(e);
    }
    return true;
  }

  /** The send in flight completed, one way or the other. */
  void completed() {
    inFlight = false;
  }

  void close(int code, String reason) {
    sink.close(code, reason);
  }
}
