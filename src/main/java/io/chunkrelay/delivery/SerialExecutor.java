package io.chunkrelay.delivery;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection's state single-threaded without locks: runs its tasks one at a time, in
 * submission order, on a pool many connections share. A batch of tasks yields the thread after
 * {@value #BATCH} tasks so one busy connection cannot starve the others.
 */
final class SerialExecutor implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
  private static final int BATCH = 64;

  private final Executor pool;
  private final String name;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean scheduled;

  SerialExecutor(Executor pool, String name) {
    this.pool = pool;
    this.name = name;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (tasks) {
      tasks.add(task);
      if (scheduled) {
        return;
      }
      scheduled = true;
    }
    submit();
  }

  private void submit() {
    try {
      pool.execute(this::drain);
    } catch (RejectedExecutionException shuttingDown) {
      synchronized (tasks) {
        tasks.clear();
        scheduled = false;
      }
    }
  }

  private void drain() {
    for (int i = 0; i < BATCH; i++) {
      Runnable task;
      synchronized (tasks) {
        task = tasks.poll();
        if (task == null) {
          scheduled = false;
          return;
        }
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("task of {} failed", name, e);
      }
    }
    submit();
  }
}
