package io.chunkrelay.delivery;

import java.util.List;

/**
 * What a node heard on a stream's live channel: chunks just committed (in seq order) and/or that
 * the stream was completed at {@code completedLastSeq} ({@code -1} when not).
 */
public record LiveEvent(String streamId, List<Frame> chunks, long completedLastSeq) {
  public static final long NOT_COMPLETED = -1;
}
