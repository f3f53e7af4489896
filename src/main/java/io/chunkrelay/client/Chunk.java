package io.chunkrelay.client;

/** A chunk of a stream as a subscriber receives it. */
public record Chunk(long seq, String messageId, String content, boolean isFinal) {}
