package io.chunkrelay.web.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.wire.ProblemType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * A streamed body cut into lines however its bytes arrive: each line handed on once, in order,
 * blank ones skipped, a last line without a newline counted, and the first bad or oversized line
 * named by its number after the lines before it were handed on.
 */
class NdjsonLinesTest {
  private final List<NewChunk> handed = new ArrayList<>();
  private final NdjsonLines lines =
      new NdjsonLines(new ChunkRequestParser(Limits.defaults()), 200, handed::add);

  private static final String BODY =
      "{\"messageId\":\"m\",\"content\":\"one\"}\r\n"
          + "\n"
          + "   \n"
          + "{\"messageId\":\"m\",\"content\":\"two \\u00e9\\n\"}\n"
          + "{\"messageId\":\"m\",\"content\":\"three\",\"final\":true}";

  private void feed(byte[] body, int... cuts) {
    feed(lines, body, cuts);
  }

  private static void feed(NdjsonLines lines, byte[] body, int... cuts) {
    int from = 0;
    for (int cut : cuts) {
      byte[] part = java.util.Arrays.copyOfRange(body, from, cut);
      lines.feed(part, part.length);
      from = cut;
    }
    byte[] rest = java.util.Arrays.copyOfRange(body, from, body.length);
    lines.feed(rest, rest.length);
    lines.end();
  }

  @Test
  void linesAreHandedOnInOrderBlankOnesSkippedAndTheLastCountsWithoutANewline() {
    feed(BODY.getBytes(StandardCharsets.UTF_8));
    assertEquals(
        List.of(
            new NewChunk("m", "one", false),
            new NewChunk("m", "two é\n", false),
            new NewChunk("m", "three", true)),
        handed);
    assertEquals(0, lines.failedLine());
  }

  /** However the bytes are cut (inside a line, a multi-byte character, a CRLF), the same lines. */
  @Property(tries = 300)
  void theLinesDoNotDependOnHowTheBytesArrive(
      @ForAll @IntRange(min = 0, max = 140) int first,
      @ForAll @IntRange(min = 0, max = 140) int second) {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    int a = Math.min(first, body.length);
    int b = Math.min(second, body.length);
    List<NewChunk> got = new ArrayList<>();
    feed(
        new NdjsonLines(new ChunkRequestParser(Limits.defaults()), 200, got::add),
        body,
        Math.min(a, b),
        Math.max(a, b));
    assertEquals(List.of("one", "two é\n", "three"), got.stream().map(NewChunk::content).toList());
  }

  @Test
  void theFirstBadLineIsNamedAfterTheLinesBeforeItWereHandedOn() {
    byte[] body =
        ("{\"messageId\":\"m\",\"content\":\"ok\"}\n\n{\"messageId\":\"m\",\"content\":}\n"
                + "{\"messageId\":\"m\",\"content\":\"never\"}\n")
            .getBytes(StandardCharsets.UTF_8);
    ApiException refused = assertThrows(ApiException.class, () -> feed(body));
    assertEquals(ProblemType.MALFORMED_JSON, refused.type());
    assertEquals(3, lines.failedLine(), "blank lines count in the numbering");
    assertEquals(List.of(new NewChunk("m", "ok", false)), handed);
  }

  @Test
  void aLineThatGrowsPastTheLimitIsRefusedBeforeItEnds() {
    byte[] body =
        ("{\"messageId\":\"m\",\"content\":\"" + "x".repeat(300)).getBytes(StandardCharsets.UTF_8);
    ApiException refused = assertThrows(ApiException.class, () -> lines.feed(body, body.length));
    assertEquals(ProblemType.REQUEST_TOO_LARGE, refused.type());
    assertEquals(1, lines.failedLine());
    assertEquals(List.of(), handed);
  }

  @Test
  void aChunkTheSinkRefusesEndsTheBodyNamingItsLine() {
    NdjsonLines refusing =
        new NdjsonLines(
            new ChunkRequestParser(Limits.defaults()),
            200,
            chunk -> {
              throw new ApiException(ProblemType.RATE_LIMITED, "slow down");
            });
    byte[] body = "\n{\"messageId\":\"m\",\"content\":\"a\"}\n".getBytes(StandardCharsets.UTF_8);
    ApiException refused = assertThrows(ApiException.class, () -> refusing.feed(body, body.length));
    assertEquals(ProblemType.RATE_LIMITED, refused.type());
    assertEquals(2, refusing.failedLine());
  }
}
