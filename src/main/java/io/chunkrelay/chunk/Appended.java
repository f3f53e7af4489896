package io.chunkrelay.chunk;

/**
 * Keeps promise 1 (ack means durable): an outcome exists only once committed.
 *
 * <p>The committed outcome of an append: seqs {@code firstSeq..lastSeq} of {@code streamId}, or,
 * when {@link #count()} is 0, nothing new (every chunk was an idempotent producer's resend).
 *
 * @param batch whether the request was an array (answered with firstSeq/lastSeq)
 * @param replayed whether this is the stored outcome of an earlier request with the same
 *     Idempotency-Key, in which case nothing was appended now
 * @param duplicates chunks of an idempotent producer skipped because they were stored before
 * @param producerSeq the producer's last stored chunk number after this append, -1 without one
 */
public record Appended(
    String streamId,
    long firstSeq,
    long lastSeq,
    boolean batch,
    boolean replayed,
    int duplicates,
    long producerSeq) {

  /** An append without an idempotent producer. */
  public static Appended of(
      String streamId, long firstSeq, long lastSeq, boolean batch, boolean replayed) {
    return new Appended(streamId, firstSeq, lastSeq, batch, replayed, 0, -1);
  }

  /**
   * An idempotent producer's append of which every chunk was stored before; {@code lastSeq} is the
   * seq of its last chunk when that is the producer's last stored chunk (the usual resend), else 0.
   */
  public static Appended allDuplicates(
      String streamId, boolean batch, int duplicates, long producerSeq, long lastSeq) {
    return new Appended(streamId, 0, lastSeq, batch, false, duplicates, producerSeq);
  }

  /** Chunks stored by this append (0 for a replay or a resend of stored chunks). */
  public long count() {
    return replayed || firstSeq == 0 ? 0 : lastSeq - firstSeq + 1;
  }
}
