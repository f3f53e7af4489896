package io.chunkrelay.delivery;

import static io.chunkrelay.delivery.DeliveryState.BACKFILLING;
import static io.chunkrelay.delivery.DeliveryState.CLOSED;
import static io.chunkrelay.delivery.DeliveryState.LAGGING;
import static io.chunkrelay.delivery.DeliveryState.LIVE;
import static io.chunkrelay.delivery.DeliveryState.OPENING;
import static io.chunkrelay.delivery.DeliveryState.SUBSCRIBING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeliveryStateTest {
  /** The design's transition table, written out independently of the enum. */
  private static final Map<DeliveryState, Set<DeliveryState>> LEGAL =
      Map.of(
          OPENING, EnumSet.of(SUBSCRIBING, CLOSED),
          SUBSCRIBING, EnumSet.of(BACKFILLING, CLOSED),
          BACKFILLING, EnumSet.of(LIVE, LAGGING, CLOSED),
          LIVE, EnumSet.of(BACKFILLING, LAGGING, CLOSED),
          LAGGING, EnumSet.of(BACKFILLING, CLOSED),
          CLOSED, EnumSet.noneOf(DeliveryState.class));

  @Test
  void everyLegalTransitionIsAllowedAndEveryOtherIsRejected() {
    int illegal = 0;
    for (DeliveryState from : DeliveryState.values()) {
      for (DeliveryState to : DeliveryState.values()) {
        if (LEGAL.get(from).contains(to)) {
          assertEquals(to, from.moveTo(to), from + " -> " + to);
        } else {
          IllegalStateException e =
              assertThrows(IllegalStateException.class, () -> from.moveTo(to), from + " -> " + to);
          assertEquals("illegal delivery transition " + from + " -> " + to, e.getMessage());
          illegal++;
        }
      }
    }
    assertEquals(36 - 12, illegal);
  }

  @Test
  void onlyStatesAfterTheConfirmedSubscribeMaySend() {
    assertEquals(
        EnumSet.of(BACKFILLING, LIVE, LAGGING),
        EnumSet.copyOf(
            EnumSet.allOf(DeliveryState.class).stream().filter(DeliveryState::isReady).toList()));
  }
}
