package org.glassfish.tyrus.servlet;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Lets one thread write many frames to its connections with one flush per connection at the end,
 * instead of one flush (one system call) per frame. Tyrus implements neither {@code
 * setBatchingAllowed} nor {@code flushBatch} (both do nothing in 2.2.0), so the batch lives here,
 * beside the writer it governs.
 *
 * <p>While {@link #run} runs on a thread, a {@link TyrusServletWriter} written to from that thread
 * hands its frames to the container as always (and completes their sends when the container took
 * them, so back-pressure is unchanged) but leaves the flush to the end of the batch; a close frame
 * is flushed at once. Frames written from other threads are flushed as before. On a container whose
 * WebSocket is not Tyrus on Tomcat (this writer is then not used), a batch is just a call.
 */
public final class WriteBatch {
  private static final ThreadLocal<Set<TyrusServletWriter>> OPEN = new ThreadLocal<>();

  private WriteBatch() {}

  /**
   * Runs {@code writes}; every connection written to during it is flushed once when it returns or
   * throws. A batch inside a batch joins the outer one.
   */
  public static void run(Runnable writes) {
    if (OPEN.get() != null) {
      writes.run();
      return;
    }
    Set<TyrusServletWriter> written = new LinkedHashSet<>();
    OPEN.set(written);
    try {
      writes.run();
    } finally {
      OPEN.remove();
      // A flush may complete sends whose handlers write again: they flush for themselves now.
      for (TyrusServletWriter writer : written) {
        writer.flushDeferred();
      }
    }
  }

  /**
   * Flushes now what this thread's batch held back so far, and keeps the batch open: for a caller
   * about to do something slow (a database read) while its frames should already be on their way.
   * Outside a batch it does nothing.
   */
  public static void flushHeld() {
    Set<TyrusServletWriter> written = OPEN.get();
    if (written == null || written.isEmpty()) {
      return;
    }
    List<TyrusServletWriter> held = new ArrayList<>(written);
    written.clear();
    OPEN.remove();
    try {
      for (TyrusServletWriter writer : held) {
        writer.flushDeferred();
      }
    } finally {
      OPEN.set(written);
    }
  }

  /**
   * Called by a writer about to flush: returns {@code true} if this thread is in a batch, which
   * then flushes the writer at its end.
   */
  static boolean deferFlush(TyrusServletWriter writer) {
    Set<TyrusServletWriter> written = OPEN.get();
    if (written == null) {
      return false;
    }
    written.add(writer);
    return true;
  }
}
