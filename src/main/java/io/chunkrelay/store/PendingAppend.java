package io.chunkrelay.store;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.chunk.ProducerClaim;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An append waiting for its group: the request as validated, and the future its producer is
 * answered through, completed only after the group committed (a producer gets a seq only for a
 * committed chunk), or with the reason it was refused or failed.
 *
 * @param fingerprint SHA-256 of the request, compared with a stored key's; null without a key
 * @param arrival its place in the node's order of arrival (appends to a stream are written in it)
 * @param submittedNanos when it was queued ({@link System#nanoTime()})
 */
record PendingAppend(
    AppendRequest request,
    byte[] fingerprint,
    CompletableFuture<Appended> outcome,
    long arrival,
    long submittedNanos) {

  String streamId() {
    return request.streamId();
  }

  List<NewChunk> chunks() {
    return request.chunks();
  }

  boolean batch() {
    return request.batch();
  }

  Optional<String> appendedBy() {
    return request.appendedBy();
  }

  Optional<String> key() {
    return request.idempotencyKey();
  }

  Optional<ProducerClaim> producer() {
    return request.producer();
  }
}
