package io.chunkrelay.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Records what a connection sends. Sends complete at once, in the order they were made (as a real
 * connection's do), or, while {@link #stall()}ed, only when {@link #resume()} is called: a client
 * that stopped reading.
 */
final class RecordingSink implements FrameSink {
  private final List<Frame> sent = new ArrayList<>();
  private final ArrayDeque<Runnable> pending = new ArrayDeque<>();
  private volatile boolean stalling;
  private boolean draining;
  private volatile int closeCode = -1;
  private volatile String closeReason;
  private volatile Runnable onClose;
  private volatile RuntimeException refusal;
  private int concurrentSends;
  private int maxConcurrentSends;

  @Override
  public void send(Frame frame, Consumer<Throwable> done) {
    RuntimeException refused = refusal;
    if (refused != null) {
      throw refused;
    }
    synchronized (this) {
      concurrentSends++;
      maxConcurrentSends = Math.max(maxConcurrentSends, concurrentSends);
      pending.add(
          () -> {
            synchronized (this) {
              sent.add(frame);
              concurrentSends--;
            }
            done.accept(null);
          });
    }
    drain();
  }

  @Override
  public void close(int code, String reason) {
    closeReason = reason;
    closeCode = code;
    Runnable answer = onClose;
    if (answer != null) {
      answer.run();
    }
  }

  /** What a client's answer to a close does (the endpoint's onClose). */
  void whenClosed(Runnable answer) {
    this.onClose = answer;
  }

  /**
   * Every send from now on throws {@code refusal}, as a WebSocket implementation that stopped (or
   * lost the socket) does, while the connection itself is not closed.
   */
  void refuseSends(RuntimeException refusal) {
    this.refusal = refusal;
  }

  void stall() {
    stalling = true;
  }

  void resume() {
    stalling = false;
    drain();
  }

  /** Completes waiting sends in the order they were made, as a real connection does. */
  private void drain() {
    while (true) {
      Runnable next;
      synchronized (this) {
        if (stalling || draining) {
          return;
        }
        next = pending.poll();
        if (next == null) {
          return;
        }
        draining = true;
      }
      try {
        next.run();
      } finally {
        synchronized (this) {
          draining = false;
        }
      }
    }
  }

  synchronized List<Long> seqs() {
    return sent.stream().filter(f -> !f.last()).map(Frame::seq).toList();
  }

  synchronized List<Frame> frames() {
    return List.copyOf(sent);
  }

  synchronized int maxConcurrentSends() {
    return maxConcurrentSends;
  }

  String closeReason() {
    return closeReason;
  }

  int closeCode() {
    return closeCode;
  }
}
