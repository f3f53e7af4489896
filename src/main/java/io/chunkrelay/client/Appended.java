package io.chunkrelay.client;

/**
 * Keeps promise 1 (ack means durable) visible to a producer.
 *
 * <p>What an append got: the seqs of its chunks ({@code firstSeq == lastSeq} for one chunk), and
 * whether the server recognised a retry and replayed the original answer instead of appending.
 */
public record Appended(String streamId, long firstSeq, long lastSeq, boolean replayed) {}
