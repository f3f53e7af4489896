package io.chunkrelay.client;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a streamed request's lines in order and whole: the body of one {@link ReplyWriter} request,
 * as a {@link Flow.Publisher} the JDK's HTTP client reads. Lines pushed before the client
 * subscribes (it subscribes once connected) are kept, not dropped, and handed over as the client
 * asks for them; while more than {@code maxQueued} wait, {@link #push} blocks (the connection is
 * slower than the writer). One subscriber.
 */
final class LineBody implements Flow.Publisher<ByteBuffer> {
  private final int maxQueued;
  private final ArrayDeque<ByteBuffer> queued = new ArrayDeque<>();
  private Flow.Subscriber<? super ByteBuffer> subscriber;
  private long demand;
  private boolean closed;
  private boolean cancelled;
  private boolean done;
  private boolean draining;

  LineBody(int maxQueued) {
    this.maxQueued = maxQueued;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
    synchronized (this) {
      if (this.subscriber != null) {
        subscriber.onSubscribe(
            new Flow.Subscription() {
              @Override
              public void request(long n) {}

              @Override
              public void cancel() {}
            });
        subscriber.onError(new IllegalStateException("a streamed body is read once"));
        return;
      }
      this.subscriber = subscriber;
    }
    subscriber.onSubscribe(
        new Flow.Subscription() {
          @Override
          public void request(long n) {
            synchronized (LineBody.this) {
              demand = n <= 0 || demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
            drain();
          }

          @Override
          public void cancel() {
            synchronized (LineBody.this) {
              cancelled = true;
              queued.clear();
              LineBody.this.notifyAll();
            }
          }
        });
    drain();
  }

  /**
   * Queues a line; false if the request was cancelled, or could not take it within {@code
   * timeoutMillis}.
   */
  boolean push(byte[] line, long timeoutMillis) {
    synchronized (this) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (queued.size() >= maxQueued && !cancelled) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      if (cancelled || closed) {
        return false;
      }
      queued.add(ByteBuffer.wrap(line));
    }
    drain();
    return true;
  }

  /** No more lines: the body ends once the queued ones are read. */
  void close() {
    synchronized (this) {
      closed = true;
    }
    drain();
  }

  /** Hands queued lines to the subscriber as far as it asked, one thread at a time. */
  private void drain() {
    while (true) {
      ByteBuffer next;
      boolean complete;
      Flow.Subscriber<? super ByteBuffer> to;
      synchronized (this) {
        if (draining || subscriber == null || cancelled || done) {
          return;
        }
        complete = closed && queued.isEmpty();
        next = !complete && demand > 0 ? queued.poll() : null;
        if (!complete && next == null) {
          return;
        }
        if (complete) {
          done = true;
        } else {
          demand--;
          notifyAll();
        }
        draining = true;
        to = subscriber;
      }
      try {
        if (complete) {
          to.onComplete();
          return;
        }
        to.onNext(next);
      } finally {
        synchronized (this) {
          draining = false;
        }
      }
    }
  }
}
