package io.chunkrelay.client;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void waitsAreJitteredBelowADoublingCeilingThatIsCapped() {
    long[] ceilings = {100, 200, 400, 800, 1600, 2000, 2000};
    for (int failures = 1; failures <= ceilings.length; failures++) {
      int n = failures;
      long max = LongStream.range(0, 2_000).map(i -> backoff.delayMillis(n)).max().orElseThrow();
      long min = LongStream.range(0, 2_000).map(i -> backoff.delayMillis(n)).min().orElseThrow();
      assertTrue(max <= ceilings[n - 1], "after " + n + " failures: " + max);
      assertTrue(max > ceilings[n - 1] * 0.9, "jitter reaches near the ceiling: " + max);
      assertTrue(min < ceilings[n - 1] * 0.1, "and near zero: " + min);
    }
    assertTrue(backoff.delayMillis(1_000) <= 2_000, "a long outage does not overflow");
  }

  @Test
  void nonsenseBoundsAreRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    long fixed = new Backoff(Duration.ofMillis(1), Duration.ofMillis(1)).delayMillis(5);
    assertTrue(fixed == 0 || fixed == 1, "initial == max is allowed: " + fixed);
  }
}
