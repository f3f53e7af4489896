package io.chunkrelay.delivery;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
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
  private final Consumer<Runnable> batch;
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private boolean scheduled;

  SerialExecutor(Executor pool, String name) {
    this(pool, name, Runnable::run);
  }

  /**
   * @param batch runs each turn of up to {@value #BATCH} tasks (a connection's sends are flushed
   *     together at its end, see {@link FrameSink#batch})
   */
  SerialExecutor(Executor pool, String name, Consumer<Runnable> batch) {
    this.pool = pool;
    this.name = name;
    this.batch = batch;
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
    boolean[] more = new boolean[1];
    try {
      batch.accept(() -> more[0] = runTurn());
    } catch (RuntimeException e) {
      // The turn itself ran (it catches its tasks' failures); only its end, the flush, failed.
      LOG.error("ending a turn of {} failed", name, e);
    }
    if (more[0]) {
      submit();
    }
  }

  /** Runs up to {@value #BATCH} tasks; returns whether tasks are left for another turn. */
  private boolean runTurn() {
    for (int i = 0; i < BATCH; i++) {
      Runnable task;
      synchronized (tasks) {
        task = tasks.poll();
        if (task == null) {
          scheduled = false;
          return false;
        }
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.error("task of {} failed", name, e);
      }
    }
    return true;
  }
}
