package io.chunkrelay.client;

import java.util.Objects;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) on the producer's side: a draft has content,
 * never a seq. A chunk a producer appends; the server gives it its seq.
 */
public record Draft(String messageId, String content, boolean isFinal) {
  public Draft {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(content, "content");
  }

  public static Draft of(String messageId, String content) {
    return new Draft(messageId, content, false);
  }
}
