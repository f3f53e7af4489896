package io.chunkrelay.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting in tests, in one place: for a condition (polled), or for a fixed time to pass. */
public final class Await {
  private static final long POLL_MILLIS = 5;

  private Await() {}

  /** Polls {@code condition} until it holds; fails the test if it does not within {@code limit}. */
  public static void until(BooleanSupplier condition, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + limit);
      }
      sleep(POLL_MILLIS);
    }
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
