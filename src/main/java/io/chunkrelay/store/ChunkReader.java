package io.chunkrelay.store;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.StreamInfo;

/**
 * Keeps delivery testable against promise 3 with a fake log. Reads a stream's head and its
 * committed chunks in seq order: the chunk log, or a fake in unit tests.
 */
public interface ChunkReader {
  /**
   * Up to {@code limit} chunks with seq greater than {@code after}, in seq order, with the stream
   * as of the same read.
   *
   * @throws ChunkLogException.StreamNotFound if the stream does not exist
   */
  ChunkPage chunksAfter(String streamId, long after, int limit);

  /** The stream as of now (its head and status), if it exists. */
  java.util.Optional<StreamInfo> stream(String streamId);
}
