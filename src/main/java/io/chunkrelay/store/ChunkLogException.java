package io.chunkrelay.store;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing): a refusal changes nothing.
 *
 * <p>A request the chunk log refused for a reason the caller can act on; nothing was changed. Each
 * subclass is one reason, mapped to one stable error code by the API.
 */
public abstract sealed class ChunkLogException extends RuntimeException
    permits ChunkLogException.StreamNotFound,
        ChunkLogException.StreamExpired,
        ChunkLogException.StreamCompleted,
        ChunkLogException.IdempotencyKeyReused,
        ChunkLogException.StaleProducerEpoch,
        ChunkLogException.ProducerSeqGap,
        ChunkLogException.ProducerNotOwned {
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

  /**
   * Retention dropped the stream's chunks (promise 10): it is neither read nor written again, and
   * its id is never reused. {@link #earliestSeq()} is the earliest seq the log could still hold for
   * it: its head + 1, since a stream's chunks leave together.
   */
  public static final class StreamExpired extends ChunkLogException {
    private static final long serialVersionUID = 1L;
    private final long earliestSeq;

    public StreamExpired(String streamId, long earliestSeq) {
      super(
          streamId,
          "stream '"
              + streamId
              + "' expired: retention dropped its chunks (the log holds none before seq "
              + earliestSeq
              + ")");
      this.earliestSeq = earliestSeq;
    }

    public long earliestSeq() {
      return earliestSeq;
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

  /** An idempotent producer sent with an epoch older than the stream's record of it. */
  public static final class StaleProducerEpoch extends ChunkLogException {
    private static final long serialVersionUID = 1L;
    private final long currentEpoch;

    StaleProducerEpoch(String streamId, String producerId, long epoch, long currentEpoch) {
      super(
          streamId,
          "producer '"
              + producerId
              + "' sent epoch "
              + epoch
              + " but stream '"
              + streamId
              + "' is at its epoch "
              + currentEpoch
              + "; a newer session of this producer took over");
      this.currentEpoch = currentEpoch;
    }

    public long currentEpoch() {
      return currentEpoch;
    }
  }

  /** A Producer-Id that another subject first used on this stream. */
  public static final class ProducerNotOwned extends ChunkLogException {
    private static final long serialVersionUID = 1L;

    ProducerNotOwned(String streamId, String producerId) {
      super(
          streamId,
          "producer '"
              + producerId
              + "' on stream '"
              + streamId
              + "' belongs to another subject: a Producer-Id is its first user's; choose your own");
    }
  }

  /** An idempotent producer's append starts past the next number: chunks in between are missing. */
  public static final class ProducerSeqGap extends ChunkLogException {
    private static final long serialVersionUID = 1L;
    private final long expectedSeq;
    private final long receivedSeq;

    ProducerSeqGap(String streamId, String producerId, long expectedSeq, long receivedSeq) {
      super(
          streamId,
          "producer '"
              + producerId
              + "' sent Producer-Seq "
              + receivedSeq
              + " to stream '"
              + streamId
              + "', expected "
              + expectedSeq
              + "; resend from "
              + expectedSeq);
      this.expectedSeq = expectedSeq;
      this.receivedSeq = receivedSeq;
    }

    public long expectedSeq() {
      return expectedSeq;
    }

    public long receivedSeq() {
      return receivedSeq;
    }
  }
}
