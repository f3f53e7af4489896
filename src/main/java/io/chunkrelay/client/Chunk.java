package io.chunkrelay.client;

/**
 * Keeps promise 3 (exactly once, in order) visible to a subscriber. A chunk of a stream as a
 * subscriber receives it.
 */
public record Chunk(long seq, String messageId, String content, boolean isFinal) {}
