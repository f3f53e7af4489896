package io.chunkrelay.chunk;

import java.time.Instant;

/**
 * Keeps promise 1 (ack means durable): only committed chunks take this shape. A committed chunk as
 * read back from the log.
 */
public record StoredChunk(
    long seq, String messageId, String content, boolean isFinal, Instant createdAt) {}
