package io.chunkrelay.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps promise 1 for an append waiting for its group: the request as validated, and the future its
 * producer is answered through, completed only after the group committed (or with the reason it was
 * refused or failed).
 *
 * @param appendedBy the authenticated subject appending, or null on a node without authentication
 * @param key the Idempotency-Key, or null
 * @param producer the idempotent producer's claim, or null
 * @param fingerprint SHA-256 of the request, compared with a stored key's
 * @param arrival its place in the node's order of arrival (appends to a stream are written in it)
 * @param submittedNanos when it was queued ({@link System#nanoTime()})
 */
record PendingAppend(
    String streamId,
    List<NewChunk> chunks,
    boolean batch,
    String appendedBy,
    String key,
    ProducerClaim producer,
    byte[] fingerprint,
    CompletableFuture<Appended> outcome,
    long arrival,
    long submittedNanos) {}
