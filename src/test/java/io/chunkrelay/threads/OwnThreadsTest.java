package io.chunkrelay.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A part's threads: daemons with their names, waited for until they have ended, and forgotten once
 * they ended (a pool that replaces idle threads does not grow the list).
 */
class OwnThreadsTest {
  @Test
  void itWaitsForTheThreadsThemselvesAndSaysWhenOneOutlivesTheWait() throws Exception {
    OwnThreads threads = new OwnThreads();
    CountDownLatch release = new CountDownLatch(1);
    Thread held =
        threads
            .numbered("part")
            .newThread(
                () -> {
                  try {
                    release.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    assertTrue(held.isDaemon());
    assertEquals("part-1", held.getName());
    held.start();
    assertFalse(threads.awaitEnd(Duration.ofMillis(50)), "a thread still runs");
    assertEquals(1, threads.remembered());
    release.countDown();
    assertTrue(threads.awaitEnd(Duration.ofSeconds(10)));
    assertEquals(0, threads.remembered());
  }

  @Test
  void threadsThatEndedAreForgottenWhenTheNextIsMade() throws Exception {
    OwnThreads threads = new OwnThreads();
    for (int i = 0; i < 50; i++) {
      Thread shortLived = threads.named("short-lived").newThread(() -> {});
      shortLived.start();
      shortLived.join(10_000);
    }
    assertEquals(1, threads.remembered(), "only the last one, which ended after it was made");
    threads.named("next").newThread(() -> {});
    assertEquals(1, threads.remembered(), "the ended one forgotten, the new one remembered");
  }
}
