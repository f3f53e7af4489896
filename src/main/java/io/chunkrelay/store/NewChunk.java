package io.chunkrelay.store;

/** A chunk a producer asks to append; it gets its seq from the stream's row in the append. */
public record NewChunk(String messageId, String content, boolean isFinal) {}
