package io.chunkrelay.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.config.GuardSettings;
import io.chunkrelay.metrics.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The node's limits, each refusing past its bound, counting, and giving places back. */
class GuardTest {
  private final Metrics metrics = new Metrics();

  @Test
  void aSubjectGetsItsBurstThenWaitsWhileOthersAreUntouched() {
    Guard guard = Guard.of(new GuardSettings(10, 100, 100, 0), metrics);
    for (int i = 0; i < 20; i++) {
      assertEquals(Optional.empty(), guard.refuseAppend(Optional.of("flooder")), "burst " + i);
    }
    Optional<Duration> wait = guard.refuseAppend(Optional.of("flooder"));
    assertTrue(wait.isPresent() && wait.get().toMillis() > 0 && wait.get().toMillis() <= 100);
    assertEquals(Optional.empty(), guard.refuseAppend(Optional.of("calm")));
    assertEquals(Optional.empty(), guard.refuseAppend(Optional.empty()), "no subject, no rate");
    assertEquals(1, metrics.value("chunk_relay_appends_rate_limited_total"));
  }

  @Test
  void connectionsAreBoundedPerNodeAndPerAddressAndGivenBack() {
    Guard guard = Guard.of(new GuardSettings(0, 3, 2, 0), metrics);
    assertEquals(Guard.Admission.ADMITTED, guard.admit("10.0.0.1"));
    assertTrue(guard.opened("10.0.0.1"));
    assertTrue(guard.opened("10.0.0.1"));
    assertEquals(Guard.Admission.ADDRESS_FULL, guard.admit("10.0.0.1"));
    assertFalse(guard.opened("10.0.0.1"), "a handshake that raced past admission is refused");
    assertTrue(guard.opened("10.0.0.2"));
    assertEquals(Guard.Admission.NODE_FULL, guard.admit("10.0.0.3"));
    guard.closed("10.0.0.1");
    assertEquals(Guard.Admission.ADMITTED, guard.admit("10.0.0.1"));
    assertEquals(2, guard.openConnections());
    assertEquals(3, metrics.value("chunk_relay_connections_refused_total"));
    assertEquals(2, metrics.value("chunk_relay_connections_open"));
  }

  /**
   * Threads open and close connections from one address as fast as they can. The guard's count is
   * raised before a thread holds its place and lowered after it gave it back, so the places held at
   * once may never pass the limit; a count that lost an increment (a counter removed by a close
   * while an open was about to raise it) lets more in.
   */
  @Test
  void racingOpensAndClosesFromOneAddressNeverHoldMoreThanItsLimit() throws Exception {
    int limit = 2;
    Guard guard = Guard.of(new GuardSettings(0, 1_000, limit, 0), metrics);
    AtomicInteger held = new AtomicInteger();
    AtomicInteger mostHeld = new AtomicInteger();
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> racers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        racers.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 200_000; i++) {
                    if (guard.opened("10.0.0.9")) {
                      mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                      held.decrementAndGet();
                      guard.closed("10.0.0.9");
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> racer : racers) {
        racer.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(mostHeld.get() <= limit, "held at once: " + mostHeld.get());
    assertEquals(0, guard.openConnections());
    assertTrue(guard.opened("10.0.0.9") && guard.opened("10.0.0.9"), "every place was given back");
    assertFalse(guard.opened("10.0.0.9"));
  }

  @Test
  void newConnectionsAreRateLimited() {
    Guard guard = Guard.of(new GuardSettings(0, 1_000, 1_000, 5), metrics);
    for (int i = 0; i < 5; i++) {
      assertEquals(Guard.Admission.ADMITTED, guard.admit("10.0.0.1"));
    }
    assertEquals(Guard.Admission.TOO_FAST, guard.admit("10.0.0.1"));
  }
}
