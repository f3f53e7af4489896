package io.chunkrelay.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps reconnecting clients from stampeding a node that just came back.
 *
 * <p>Exponential backoff with full jitter: before attempt n+1, wait a random time below {@code
 * initial * 2^n}, capped at {@code max}, so that many clients cut off at once do not come back in
 * step.
 */
record Backoff(Duration initial, Duration max) {
  Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
  }

  /** The wait before the next attempt after {@code failures} consecutive failures (from 1). */
  long delayMillis(int failures) {
    long ceiling = initial.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
    return ThreadLocalRandom.current().nextLong(Math.min(ceiling, max.toMillis()) + 1);
  }
}
