package io.chunkrelay.store;

import java.util.List;

/**
 * Keeps a group commit bounded: how much one transaction may carry, and how long the committer may
 * wait for company when the queue is short (0: never; the group is whatever is pending).
 *
 * @param maxAppends most appends in one group
 * @param maxChunks most chunks in one group (a single larger batch still forms a group of its own)
 * @param lingerMicros how long a short group waits for more appends, microseconds
 * @param maxWaitMillis how long an append may wait for a group that can write it (its stream's row
 *     held by another transaction, a database that does not answer) before it is refused unwritten
 */
public record GroupLimits(int maxAppends, int maxChunks, long lingerMicros, long maxWaitMillis) {
  public GroupLimits {
    if (maxAppends < 1 || maxChunks < 1 || lingerMicros < 0 || maxWaitMillis < 1) {
      throw new IllegalArgumentException(
          "group limits must be positive: "
              + List.of(maxAppends, maxChunks, lingerMicros, maxWaitMillis));
    }
  }
}
