package io.chunkrelay.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.config.GuardSettings;
import io.chunkrelay.metrics.Metrics;
import java.time.Duration;
import java.util.Optional;
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

  @Test
  void newConnectionsAreRateLimited() {
    Guard guard = Guard.of(new GuardSettings(0, 1_000, 1_000, 5), metrics);
    for (int i = 0; i < 5; i++) {
      assertEquals(Guard.Admission.ADMITTED, guard.admit("10.0.0.1"));
    }
    assertEquals(Guard.Admission.TOO_FAST, guard.admit("10.0.0.1"));
  }
}
