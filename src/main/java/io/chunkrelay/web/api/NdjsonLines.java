package io.chunkrelay.web.api;

import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.wire.ProblemType;
import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for a streamed body: cuts the
 * bytes as they arrive into lines ({@code \n}, an optional {@code \r} before it), numbers them from
 * 1, skips blank ones, and hands each other line, parsed into a chunk, to the sink in order. The
 * first line that is not a valid chunk, that grows past {@code maxLineBytes}, or that the sink
 * refuses with an {@link ApiException}, throws that exception; {@link #failedLine()} then says
 * which line it was. Not thread-safe: one reader at a time.
 */
public final class NdjsonLines {
  private final ChunkRequestParser parser;
  private final int maxLineBytes;
  private final Consumer<NewChunk> sink;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private long lines;
  private long failedLine;

  NdjsonLines(ChunkRequestParser parser, int maxLineBytes, Consumer<NewChunk> sink) {
    this.parser = parser;
    this.maxLineBytes = maxLineBytes;
    this.sink = sink;
  }

  /** Takes the next {@code length} bytes of the body. */
  void feed(byte[] bytes, int length) {
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (bytes[i] == '\n') {
        take(bytes, start, i - start);
        endLine();
        start = i + 1;
      }
    }
    take(bytes, start, length - start);
  }

  /** The body ended: a last line without a newline counts too. */
  void end() {
    if (partial.size() > 0) {
      endLine();
    }
  }

  /** The number of the line refused, 0 while none was. */
  long failedLine() {
    return failedLine;
  }

  private void take(byte[] bytes, int offset, int length) {
    if (partial.size() + length > maxLineBytes) {
      failedLine = lines + 1;
      throw new ApiException(
          ProblemType.REQUEST_TOO_LARGE,
          "line " + failedLine + " has more than " + maxLineBytes + " bytes, the limit");
    }
    partial.write(bytes, offset, length);
  }

  private void endLine() {
    lines++;
    byte[] line = partial.toByteArray();
    partial.reset();
    if (blank(line)) {
      return;
    }
    try {
      sink.accept(parser.line(line, 0, line.length, lines));
    } catch (ApiException refused) {
      failedLine = lines;
      throw refused;
    }
  }

  private static boolean blank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
