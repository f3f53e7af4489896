package io.chunkrelay.store;

/**
 * Keeps promise 8: a refusal changes nothing.
 *
 * <p>A request the chunk log refused for a reason the caller can act on; nothing was changed. Each
 * subclass is one reason, mapped to one stable error code by the API.
 */
public abstract sealed class ChunkLogException extends RuntimeException
    permits ChunkLogException.StreamNotFound,
        ChunkLogException.StreamCompleted,
        ChunkLogException.IdempotencyKeyReused {
  private static final long serialVersionUID = 1L;

  private final String streamId;

  ChunkLogException(String streamId, String message) {
    super(message);
    this.streamId = streamId;
  }

  public String streamId() {
    return streamId;
  }

  /** The stream does not exist (reads and complete; appends create streams). */
  public static final class StreamNotFound extends ChunkLogException {
    private static final long serialVersionUID = 1L;

    public StreamNotFound(String streamId) {
      super(streamId, "stream '" + streamId + "' does not exist");
    }
  }

  /** The stream was completed; it accepts no more chunks. */
  public static final class StreamCompleted extends ChunkLogException {
    private static final long serialVersionUID = 1L;

    StreamCompleted(String streamId, long lastSeq) {
      super(
          streamId,
          "stream '" + streamId + "' is completed at seq " + lastSeq + " and accepts no chunks");
    }
  }

  /** The Idempotency-Key was already used on this stream for a different request. */
  public static final class IdempotencyKeyReused extends ChunkLogException {
    private static final long serialVersionUID = 1L;

    IdempotencyKeyReused(String streamId, String key) {
      super(
          streamId,
          "Idempotency-Key '"
              + key
              + "' was already used on stream '"
              + streamId
              + "' for a different request");
    }
  }
}
