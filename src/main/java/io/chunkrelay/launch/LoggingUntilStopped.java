package io.chunkrelay.launch;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager}, except that the JVM's shutdown does not silence logging before the
 * embedded run has stopped: the JDK resets logging (closing every handler) from a shutdown hook of
 * its own, which runs beside the launcher's, so what the stopping node logged (its WebSockets told
 * to go away, the node stopped) was lost. Here that reset waits until the launcher says {@link
 * #stopped()}.
 *
 * <p>Named by {@link Launcher#main} in the {@code java.util.logging.manager} property before
 * anything logs (and before this class is initialized, which would initialize {@link LogManager}
 * first); a run that chose another manager keeps it, and this class is then unused.
 */
public final class LoggingUntilStopped extends LogManager {
  private volatile boolean stopped;

  /** For {@link LogManager}, which creates the manager named by the system property. */
  public LoggingUntilStopped() {
    super();
  }

  /** The launcher's stop is done: logging may be reset now, and is. */
  static void stopped() {
    if (LogManager.getLogManager() instanceof LoggingUntilStopped manager) {
      manager.stopped = true;
      manager.reset();
    }
  }

  @Override
  public void reset() {
    if (!stopped && shuttingDown()) {
      return; // during the JVM's shutdown (the JDK's own hook): the launcher resets when done
    }
    super.reset();
  }

  /** Whether the JVM is running its shutdown hooks (it then refuses new ones). */
  private static boolean shuttingDown() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
