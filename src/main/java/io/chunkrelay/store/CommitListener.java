package io.chunkrelay.store;

import io.chunkrelay.chunk.StoredChunk;
import java.util.List;
import java.util.Map;

/**
 * Keeps the side effects of promise 7 (Redis accelerates, PostgreSQL decides) after commit.
 *
 * <p>Told about changes to the chunk log after they committed (never inside the transaction), so
 * that others may observe them: the fan-out to Redis. An implementation must not throw and must not
 * block for long; what it fails to pass on, readers find in the log.
 */
public interface CommitListener {
  /**
   * One group's chunks were committed: per stream, in seq order. Called on the notifier thread, one
   * group after the other, so a stream's groups are told in seq order.
   */
  void appended(Map<String, List<StoredChunk>> chunksByStream);

  /** The stream was completed at {@code lastSeq}. */
  void completed(String streamId, long lastSeq);
}
