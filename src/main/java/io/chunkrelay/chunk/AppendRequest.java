package io.chunkrelay.chunk;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one append asks of the log: chunks for a stream, who asks, and how a retry of it is known. A
 * retry is known by its {@code Idempotency-Key} (it gets the original seqs), or as an idempotent
 * producer's numbered chunks (those stored before are skipped), or not at all; never both ways.
 *
 * @param chunks at least one, appended atomically at consecutive seqs
 * @param batch whether the producer sent an array (its answer names firstSeq and lastSeq)
 * @param appendedBy the authenticated subject appending; empty on a node without authentication,
 *     whose chunks the log records as appended by {@link #ANONYMOUS}
 * @param idempotencyKey when present, a repeat of the same request returns the original seqs
 * @param producer when present, the chunks are this producer's numbers {@code seq}, {@code seq +
 *     1}, ... of its session
 */
public record AppendRequest(
    String streamId,
    List<NewChunk> chunks,
    boolean batch,
    Optional<String> appendedBy,
    Optional<String> idempotencyKey,
    Optional<ProducerClaim> producer) {

  /** Who the log says appended a chunk on a node without authentication ({@code appended_by}). */
  public static final String ANONYMOUS = "anonymous";

  public AppendRequest {
    Objects.requireNonNull(streamId, "streamId");
    chunks = List.copyOf(chunks);
    if (chunks.isEmpty()) {
      throw new IllegalArgumentException("an append needs at least one chunk");
    }
    if (idempotencyKey.isPresent() && producer.isPresent()) {
      throw new IllegalArgumentException(
          "an append is an idempotent producer's or carries an Idempotency-Key, not both");
    }
  }

  /** {@code chunks} for {@code streamId}, by nobody in particular, not recognised when retried. */
  public static AppendRequest of(String streamId, List<NewChunk> chunks, boolean batch) {
    return new AppendRequest(
        streamId, chunks, batch, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** The same, appended by {@code subject} (empty on a node without authentication). */
  public AppendRequest by(Optional<String> subject) {
    return new AppendRequest(streamId, chunks, batch, subject, idempotencyKey, producer);
  }

  /** The same, recognised when retried by {@code key} (if present). */
  public AppendRequest withKey(Optional<String> key) {
    return new AppendRequest(streamId, chunks, batch, appendedBy, key, producer);
  }

  /** The same, as {@code claim}'s numbered chunks. */
  public AppendRequest asProducer(ProducerClaim claim) {
    return new AppendRequest(
        streamId, chunks, batch, appendedBy, idempotencyKey, Optional.of(claim));
  }
}
