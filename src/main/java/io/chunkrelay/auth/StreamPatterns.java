package io.chunkrelay.auth;

import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.wire.StreamIdGrammar;
import java.util.List;

/**
 * The streams a credential covers: exact stream ids, or prefixes written with a trailing {@code *}
 * ({@code chat-42-*} covers {@code chat-42-a}, never {@code chat-43}; a lone {@code *} covers every
 * stream). A {@code *} anywhere else makes the whole list invalid rather than guessed at.
 */
public final class StreamPatterns {
  static final StreamPatterns EVERY_STREAM = new StreamPatterns(List.of(), List.of(""));
  static final StreamPatterns NO_STREAM = new StreamPatterns(List.of(), List.of());

  private final List<String> exact;
  private final List<String> prefixes;

  private StreamPatterns(List<String> exact, List<String> prefixes) {
    this.exact = exact;
    this.prefixes = prefixes;
  }

  /**
   * The patterns of a token's {@code streams} claim; throws {@link IllegalArgumentException} for a
   * pattern that is neither a stream id nor a stream-id prefix followed by one {@code *}.
   */
  static StreamPatterns parse(List<String> patterns) {
    List<String> exact = new java.util.ArrayList<>();
    List<String> prefixes = new java.util.ArrayList<>();
    for (String pattern : patterns) {
      if (pattern == null) {
        throw new IllegalArgumentException("a stream pattern is null");
      }
      boolean prefix = pattern.endsWith("*");
      String body = prefix ? pattern.substring(0, pattern.length() - 1) : pattern;
      boolean valid =
          (prefix && body.isEmpty())
              || StreamIdGrammar.problemWith(body, Limits.STREAM_ID_GRAMMAR_MAX_CHARS) == null;
      if (!valid) {
        throw new IllegalArgumentException("not a stream id or prefix*: " + pattern);
      }
      (prefix ? prefixes : exact).add(body);
    }
    return new StreamPatterns(List.copyOf(exact), List.copyOf(prefixes));
  }

  public boolean covers(String streamId) {
    if (exact.contains(streamId)) {
      return true;
    }
    for (String prefix : prefixes) {
      if (streamId.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    List<String> all = new java.util.ArrayList<>(exact);
    prefixes.forEach(prefix -> all.add(prefix + "*"));
    return all.toString();
  }
}
