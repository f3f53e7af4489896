package org.glassfish.tyrus.servlet;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of WebSocket connections that are closing: a {@link TyrusServletWriter} whose
 * client stopped reading drops its connection when its deadline passes.
 *
 * <p>One daemon thread, started with the first deadline and ended by {@link #stop()}, which the web
 * application calls as it stops: connections still waiting are dropped then, and no thread of the
 * application outlives it (the JDK's shared delay thread, used before, kept the application's class
 * loader as its context class loader for the life of the server). A deadline set after the stop
 * passes at once.
 */
public final class CloseDeadlines {
  /** The deadlines of this web application's connections. */
  static final CloseDeadlines SHARED = new CloseDeadlines();

  private final Set<Runnable> pending = ConcurrentHashMap.newKeySet();
  private ScheduledThreadPoolExecutor timer; // guarded by this
  private volatile Thread thread; // the timer's (newest) thread
  private boolean stopped; // guarded by this

  CloseDeadlines() {}

  /** Runs {@code expire} after {@code seconds}, or now if the web application stopped. */
  void after(long seconds, Runnable expire) {
    Runnable once =
        new Runnable() {
          @Override
          public void run() {
            if (pending.remove(this)) {
              expire.run();
            }
          }
        };
    pending.add(once);
    synchronized (this) {
      if (!stopped) {
        if (timer == null) {
          timer =
              new ScheduledThreadPoolExecutor(
                  1,
                  runnable -> {
                    Thread started = new Thread(runnable, "chunk-relay-ws-close-deadlines");
                    started.setDaemon(true);
                    thread = started;
                    return started;
                  });
        }
        timer.schedule(once, seconds, TimeUnit.SECONDS);
        return;
      }
    }
    once.run();
  }

  /** Stops the web application's deadlines: every pending one passes now. */
  public static void stop() {
    SHARED.stopNow();
  }

  void stopNow() {
    ScheduledThreadPoolExecutor stopping;
    Thread ending;
    synchronized (this) {
      stopped = true;
      stopping = timer;
      ending = thread;
      timer = null;
      thread = null;
    }
    if (stopping != null) {
      stopping.shutdownNow();
      try {
        // The thread itself: the pool reports itself terminated just before its thread ends.
        if (ending != null) {
          ending.join(1_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List.copyOf(pending).forEach(Runnable::run);
  }

  /** Whether the thread has been started and not stopped (for tests). */
  synchronized boolean running() {
    return timer != null;
  }
}
