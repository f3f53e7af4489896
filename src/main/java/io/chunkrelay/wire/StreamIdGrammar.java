package io.chunkrelay.wire;

import java.util.regex.Pattern;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for stream ids. Stream ids: 1
 * to {@code maxChars} (at most 128) characters of {@code [A-Za-z0-9._:-]}.
 */
public final class StreamIdGrammar {
  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._:-]+");

  private StreamIdGrammar() {}

  /** Null when the id is valid, else a sentence saying what is wrong with it. */
  public static String problemWith(String streamId, int maxChars) {
    if (streamId == null || streamId.isEmpty()) {
      return "a stream id is required";
    }
    if (streamId.length() > maxChars) {
      return "a stream id has at most " + maxChars + " characters, got " + streamId.length();
    }
    if (!ALLOWED.matcher(streamId).matches()) {
      return "a stream id may only contain A-Z a-z 0-9 . _ : -";
    }
    return null;
  }
}
