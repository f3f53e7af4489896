package io.chunkrelay.delivery;

import io.chunkrelay.chunk.StoredChunk;
import java.util.List;

/**
 * Keeps the live path to one rendering per chunk per node.
 *
 * <p>What a node heard on a stream's live channel, with each chunk's frame rendered once for all
 * the node's connections: chunks just committed (in seq order) and/or that the stream was completed
 * at {@code completedLastSeq} ({@link #NOT_COMPLETED} when not).
 */
public record LiveEvent(List<Frame> chunks, long completedLastSeq) {
  public static final long NOT_COMPLETED = -1;

  public LiveEvent {
    chunks = List.copyOf(chunks);
  }

  /** The event for chunks heard live, rendering each chunk's frame here, once. */
  public static LiveEvent of(List<StoredChunk> chunks, long completedLastSeq) {
    return new LiveEvent(chunks.stream().map(Frame::of).toList(), completedLastSeq);
  }
}
