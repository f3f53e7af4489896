package io.chunkrelay.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests, in one place: for a condition (polled by Awaitility), or for a fixed time to
 * pass where a test paces a load or must show that something does not happen.
 */
public final class Await {
  private static final long POLL_MILLIS = 5;

  private Await() {}

  /**
   * Polls {@code condition} (with Awaitility) until it holds; fails the test if it does not within
   * {@code limit}. For the code under test that cannot depend on Awaitility's types.
   */
  public static void until(BooleanSupplier condition, Duration limit) {
    org.awaitility.Awaitility.await()
        .atMost(limit)
        .pollInterval(Duration.ofMillis(POLL_MILLIS))
        .pollDelay(Duration.ZERO)
        .until(condition::getAsBoolean);
  }

  /**
   * Lets {@code millis} pass: for a test that must show something does NOT happen, or that paces a
   * load. An interrupt fails the test (with the flag restored).
   */
  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }
}
