package io.chunkrelay.chunk;

import java.time.Instant;
import java.time.LocalDate;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) visible: the head one read saw. What the log
 * knows about a stream at one moment. {@code completedAt} is null while open.
 *
 * @param headChain the hash chain link of the head chunk (the stream's genesis hash while it has
 *     none), lowercase hex: what a client that received chunks 1..headSeq computes (docs/API.md)
 * @param createdDay the UTC day the database created the stream: the partition its chunks are in
 */
public record StreamInfo(
    String streamId,
    long headSeq,
    StreamStatus status,
    Instant createdAt,
    Instant updatedAt,
    Instant completedAt,
    String headChain,
    LocalDate createdDay) {}
