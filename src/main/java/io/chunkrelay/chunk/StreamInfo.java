package io.chunkrelay.chunk;

import java.time.Instant;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) visible: the head one read saw. What the log
 * knows about a stream at one moment. {@code completedAt} is null while open.
 */
public record StreamInfo(
    String streamId,
    long headSeq,
    StreamStatus status,
    Instant createdAt,
    Instant updatedAt,
    Instant completedAt) {}
