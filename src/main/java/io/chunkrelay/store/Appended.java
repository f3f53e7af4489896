package io.chunkrelay.store;

/**
 * Keeps promise 1: an outcome exists only once committed.
 *
 * <p>The committed outcome of an append: seqs {@code firstSeq..lastSeq} of {@code streamId}.
 *
 * @param batch whether the request was an array (answered with firstSeq/lastSeq)
 * @param replayed whether this is the stored outcome of an earlier request with the same
 *     Idempotency-Key, in which case nothing was appended now
 */
public record Appended(
    String streamId, long firstSeq, long lastSeq, boolean batch, boolean replayed) {}
