package io.chunkrelay.delivery;

import java.util.function.Consumer;

/**
 * Keeps delivery independent of the container (promise 3 is tested through it). Where a
 * connection's frames go: a WebSocket session in production, a recorder in unit tests.
 */
public interface FrameSink {
  /**
   * Sends one frame without blocking; {@code done} is called once with {@code null} when the frame
   * was handed to the network, or with the failure.
   */
  void send(Frame frame, Consumer<Throwable> done);

  /**
   * Runs {@code sends} (several {@link #send}s and what their completions start) so that the frames
   * may leave together, in one write to the network at the end, instead of one write each.
   * Completions keep their meaning: a send completes when its frame was handed over.
   */
  default void batch(Runnable sends) {
    sends.run();
  }

  /**
   * Inside a {@link #batch}: hands over now what the batch held back so far, before the caller does
   * something slow. Does nothing where sends are not held back.
   */
  default void flush() {}

  /** Closes the connection with a WebSocket close code. */
  void close(int code, String reason);
}
