package io.chunkrelay.threads;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes daemon threads for one part of the node and remembers each, so the part's stop can wait for
 * them to end.
 *
 * <p>Waiting for the threads themselves, not for their executors: an executor reports itself
 * terminated just before its last thread has ended, and a container that checks for leftover
 * threads right after the stop would still see that one. Daemon threads never keep a stopping JVM
 * alive.
 */
public final class OwnThreads {
  private final Queue<Thread> started = new ConcurrentLinkedQueue<>();

  /** Threads all called {@code name}. */
  public ThreadFactory named(String name) {
    return runnable -> remember(new Thread(runnable, name));
  }

  /** Threads called {@code prefix-1}, {@code prefix-2}, ... */
  public ThreadFactory numbered(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> remember(new Thread(runnable, prefix + "-" + count.incrementAndGet()));
  }

  /**
   * Waits until every thread made so far has ended, at most {@code timeout} in all, and forgets
   * those that have; returns whether none is still running. The caller stops their work first
   * (shuts their executors down).
   */
  public boolean awaitEnd(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      for (Thread thread : started) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        thread.join(Math.max(1, left));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    started.removeIf(thread -> !thread.isAlive());
    return started.isEmpty();
  }

  /** Threads made and not yet seen to end by {@link #awaitEnd}. */
  public int remembered() {
    return started.size();
  }

  private Thread remember(Thread thread) {
    thread.setDaemon(true);
    // A pool that ends idle threads and makes new ones must not grow this list for ever.
    started.removeIf(ended -> ended.getState() == Thread.State.TERMINATED);
    started.add(thread);
    return thread;
  }
}
