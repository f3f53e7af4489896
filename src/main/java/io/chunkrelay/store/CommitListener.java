package io.chunkrelay.store;

import java.util.List;

/**
 * Keeps promise 7's side effects after commit.
 *
 * <p>Told about changes to the chunk log after they committed (never inside the transaction), so
 * that others may observe them: the fan-out to Redis. An implementation must not throw and must not
 * block for long; what it fails to pass on, readers find in the log.
 */
public interface CommitListener {
  /** Chunks were committed to the stream, in seq order. */
  void appended(String streamId, List<StoredChunk> chunks);

  /** The stream was completed at {@code lastSeq}. */
  void completed(String streamId, long lastSeq);
}
