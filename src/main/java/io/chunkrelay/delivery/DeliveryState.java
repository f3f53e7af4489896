package io.chunkrelay.delivery;

import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps promise 6 (fail closed) and the delivery state machine in one place.
 *
 * <p>The life of one connection's delivery. All legal transitions are listed here and nowhere else:
 *
 * <pre>
 * OPENING -----> SUBSCRIBING -----> BACKFILLING <----> LIVE
 *    |               |               |    ^  \          |
 *    |               |               v    |   \         v
 *    |               |             LAGGING ----+------ (queue full)
 *    v               v               v
 *  CLOSED  <------ every state -------
 * </pre>
 *
 * <ul>
 *   <li>OPENING: accepted, not yet registered; nothing may be sent.
 *   <li>SUBSCRIBING: registered; waiting for Redis to confirm the stream's SUBSCRIBE. Live chunks
 *       that arrive are held.
 *   <li>BACKFILLING: reading the chunk log from {@code next}; live chunks are held and merged by
 *       seq afterwards (below {@code next}: duplicate, dropped; above: a gap, read first).
 *   <li>LIVE: caught up; live chunks go straight to the outbound queue; a chunk beyond {@code
 *       next}, a silent stream or Redis coming back sends the connection back to BACKFILLING.
 *   <li>LAGGING: the outbound queue is full; live chunks are not held; once the client drained the
 *       queue, BACKFILLING reads what it missed from the log. Nothing is ever dropped for good.
 *   <li>CLOSED: final.
 * </ul>
 */
public enum DeliveryState {
  OPENING,
  SUBSCRIBING,
  BACKFILLING,
  LIVE,
  LAGGING,
  CLOSED;

  private Set<DeliveryState> next() {
    return switch (this) {
      case OPENING -> EnumSet.of(SUBSCRIBING, CLOSED);
      case SUBSCRIBING -> EnumSet.of(BACKFILLING, CLOSED);
      case BACKFILLING -> EnumSet.of(LIVE, LAGGING, CLOSED);
      case LIVE -> EnumSet.of(BACKFILLING, LAGGING, CLOSED);
      case LAGGING -> EnumSet.of(BACKFILLING, CLOSED);
      case CLOSED -> EnumSet.noneOf(DeliveryState.class);
    };
  }

  /** Whether this state may move to {@code target}. */
  public boolean canMoveTo(DeliveryState target) {
    return next().contains(target);
  }

  /**
   * The state after moving to {@code target}.
   *
   * @throws IllegalStateException if the transition is not legal
   */
  public DeliveryState moveTo(DeliveryState target) {
    if (!canMoveTo(target)) {
      throw new IllegalStateException("illegal delivery transition " + this + " -> " + target);
    }
    return target;
  }

  /** Whether frames may be sent to the client in this state (fail closed everywhere else). */
  public boolean isReady() {
    return this == BACKFILLING || this == LIVE || this == LAGGING;
  }
}
