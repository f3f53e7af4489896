package io.chunkrelay.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
  private final AtomicLong now = new AtomicLong();
  private final LogLimiter limiter = new LogLimiter(Duration.ofSeconds(60), now::get);

  @Test
  void theFirstOccurrenceIsLoggedTheRestOfTheWindowCountedAndTheNextWindowSaysHowMany() {
    assertEquals(0, limiter.admit("junk"));
    for (int i = 0; i < 4_999; i++) {
      assertEquals(-1, limiter.admit("junk"));
    }
    assertEquals(0, limiter.admit("oversized-frame"), "causes are counted apart");
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    assertEquals(4_999, limiter.admit("junk"));
    assertEquals(-1, limiter.admit("junk"));
    now.addAndGet(Duration.ofSeconds(61).toNanos());
    assertEquals(1, limiter.admit("junk"));
  }

  @Test
  void pastTheBoundNewCausesShareOneWindow() {
    for (int i = 0; i < LogLimiter.MAX_CAUSES; i++) {
      assertEquals(0, limiter.admit("cause-" + i));
    }
    assertEquals(0, limiter.admit("one too many"));
    assertEquals(-1, limiter.admit("and another"));
    assertEquals(-1, limiter.admit("cause-7"), "known causes keep their own window");
  }
}
