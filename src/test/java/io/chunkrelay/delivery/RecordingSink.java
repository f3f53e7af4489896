package io.chunkrelay.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Records what a connection sends. Sends complete at once, or, while {@link #stall()}ed, only when
 * {@link #resume()} is called: a client that stopped reading.
 */
final class RecordingSink implements FrameSink {
  private final List<Frame> sent = new ArrayList<>();
  private final ConcurrentLinkedQueue<Runnable> stalled = new ConcurrentLinkedQueue<>();
  private volatile boolean stalling;
  private volatile int closeCode = -1;
  private int concurrentSends;
  private int maxConcurrentSends;

  @Override
  public void send(Frame frame, Consumer<Throwable> done) {
    synchronized (this) {
      concurrentSends++;
      maxConcurrentSends = Math.max(maxConcurrentSends, concurrentSends);
    }
    Runnable complete =
        () -> {
          synchronized (this) {
            sent.add(frame);
            concurrentSends--;
          }
          done.accept(null);
        };
    if (stalling) {
      stalled.add(complete);
    } else {
      complete.run();
    }
  }

  @Override
  public void close(int code, String reason) {
    closeCode = code;
  }

  void stall() {
    stalling = true;
  }

  void resume() {
    stalling = false;
    Runnable next;
    while ((next = stalled.poll()) != null) {
      next.run();
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

  int closeCode() {
    return closeCode;
  }
}
