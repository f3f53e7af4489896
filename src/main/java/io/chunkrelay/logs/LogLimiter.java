package io.chunkrelay.logs;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LocationAwareLogger;

/**
 * Keeps a flood of one kind of event (junk on a Redis channel, clients sending oversized frames)
 * from filling the log and hiding everything else: per cause, the first occurrence is logged in
 * full; later ones within the window are only counted; the first one after the window is logged
 * again, saying how many were held back. Causes are a small fixed set named by the caller (never a
 * client's address or input), so the bookkeeping stays small; past {@link #MAX_CAUSES} distinct
 * causes, new causes are logged as one.
 */
public final class LogLimiter {
  /** How long a logged occurrence stands for the ones that follow it. */
  public static final Duration WINDOW = Duration.ofMinutes(1);

  static final int MAX_CAUSES = 1_000;
  private static final String OVERFLOW = "(other causes)";

  private final long windowNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  /** One cause's window: when its last occurrence was logged and how many were held back since. */
  private static final class Window {
    final long startNanos;
    final AtomicLong heldBack = new AtomicLong();

    Window(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  public LogLimiter() {
    this(WINDOW, System::nanoTime);
  }

  public LogLimiter(Duration window, LongSupplier nanoTime) {
    this.windowNanos = window.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Counts one occurrence of {@code cause}: -1 when it is held back, else how many were held back
   * since the cause was last logged (0 the first time), and the caller logs it.
   */
  public long admit(String cause) {
    String key = windows.size() >= MAX_CAUSES && !windows.containsKey(cause) ? OVERFLOW : cause;
    long now = nanoTime.getAsLong();
    long[] released = {-1};
    windows.compute(
        key,
        (k, window) -> {
          if (window != null && now - window.startNanos < windowNanos) {
            window.heldBack.incrementAndGet();
            return window;
          }
          released[0] = window == null ? 0 : window.heldBack.get();
          return new Window(now);
        });
    return released[0];
  }

  /**
   * Logs {@code format} (SLF4J style) at WARN unless {@code cause} was logged within the window.
   */
  public void warn(Logger log, String cause, String format, Object... args) {
    log(log, Level.WARN, cause, format, args);
  }

  /** As {@link #warn}, at INFO. */
  public void info(Logger log, String cause, String format, Object... args) {
    log(log, Level.INFO, cause, format, args);
  }

  private void log(Logger log, Level level, String cause, String format, Object... args) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    long heldBack = admit(cause);
    if (heldBack < 0) {
      return;
    }
    String suffix =
        heldBack == 0 ? "" : " (" + heldBack + " more like this since it was last logged)";
    if (log instanceof LocationAwareLogger located) {
      // Named as the boundary, so the line names the caller, not this class, as its source.
      FormattingTuple line = MessageFormatter.arrayFormat(format + suffix, args);
      located.log(
          null,
          LogLimiter.class.getName(),
          level.toInt(),
          line.getMessage(),
          null,
          line.getThrowable());
    } else if (level == Level.WARN) {
      log.warn(format + suffix, args);
    } else {
      log.info(format + suffix, args);
    }
  }
}
