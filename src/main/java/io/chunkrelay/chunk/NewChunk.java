package io.chunkrelay.chunk;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs): a chunk has no seq until the log gives it one. A
 * chunk a producer asks to append; it gets its seq from the stream's row in the append.
 */
public record NewChunk(String messageId, String content, boolean isFinal) {}
