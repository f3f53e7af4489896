package io.chunkrelay.bench;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What clients received, against what they should have: every seq 1..expected once, in order.
 *
 * @param delivered chunk frames received
 * @param loss seqs in 1..expected never received
 * @param duplicates seqs received more than once
 * @param reorders seqs received after a higher one
 */
record DeliveryTally(long delivered, long loss, long duplicates, long reorders) {
  static final DeliveryTally NONE = new DeliveryTally(0, 0, 0, 0);

  /** Tallies one client's received seqs against 1..{@code expected}. */
  static DeliveryTally of(List<Long> seqs, long expected) {
    Set<Long> seen = new HashSet<>();
    long duplicates = 0;
    long reorders = 0;
    long highest = 0;
    for (long seq : seqs) {
      if (!seen.add(seq)) {
        duplicates++;
      } else if (seq < highest) {
        reorders++;
      }
      highest = Math.max(highest, seq);
    }
    long loss = 0;
    for (long seq = 1; seq <= expected; seq++) {
      if (!seen.contains(seq)) {
        loss++;
      }
    }
    return new DeliveryTally(seqs.size(), loss, duplicates, reorders);
  }

  DeliveryTally plus(DeliveryTally other) {
    return new DeliveryTally(
        delivered + other.delivered,
        loss + other.loss,
        duplicates + other.duplicates,
        reorders + other.reorders);
  }

  boolean exact() {
    return loss == 0 && duplicates == 0 && reorders == 0;
  }

  @Override
  public String toString() {
    return "delivered "
        + delivered
        + ", loss "
        + loss
        + ", duplicates "
        + duplicates
        + ", reorders "
        + reorders;
  }
}
