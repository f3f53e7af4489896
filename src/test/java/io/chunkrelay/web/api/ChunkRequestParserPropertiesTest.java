package io.chunkrelay.web.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.web.http.ApiException;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the append body parser: whatever bytes arrive, it returns chunks the log can store
 * or refuses with a 4xx problem; it never fails otherwise (which the servlet would answer 500).
 */
class ChunkRequestParserPropertiesTest {
  private static final Limits LIMITS = Limits.defaults();
  private final ChunkRequestParser parser = new ChunkRequestParser(LIMITS);

  @Property(tries = 2_000)
  void arbitraryBytesAreChunksOrA4xxRefusal(@ForAll("bodies") byte[] body) {
    try {
      ChunkRequestParser.ParsedAppend parsed = parser.parse(body);
      assertTrue(!parsed.chunks().isEmpty() && parsed.chunks().size() <= LIMITS.maxBatchChunks());
      for (NewChunk chunk : parsed.chunks()) {
        assertTrue(ChunkRequestParser.problemWithText(chunk.content()) == null, chunk.content());
        assertTrue(ChunkRequestParser.problemWithText(chunk.messageId()) == null);
        assertTrue(!chunk.messageId().isEmpty());
        assertTrue(
            chunk.content().getBytes(StandardCharsets.UTF_8).length <= LIMITS.maxChunkBytes());
      }
    } catch (ApiException refused) {
      int status = refused.type().status();
      assertTrue(status >= 400 && status < 500, refused.type().code());
    }
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<String> text =
        Arbitraries.strings()
            .withChars("{}[]\",:\\ 0123456789.eE-+truefalsnul")
            .withCharRange('\u0000', '\u007f')
            .withChars('\ud800', '\udc00', '\u00e9', '\u2028')
            .ofMaxLength(200);
    Arbitrary<String> chunks =
        Arbitraries.oneOf(
            text,
            text.map(s -> "{\"messageId\":\"m\",\"content\":" + s + "}"),
            text.map(s -> "{\"messageId\":" + s + ",\"content\":\"c\"}"),
            text.map(s -> "[{\"messageId\":\"m\",\"content\":\"" + s + "\"}," + s + "]"),
            text.map(s -> "{\"messageId\":\"m\",\"content\":\"c\",\"final\":" + s + "}"));
    return Arbitraries.oneOf(
        chunks.map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300));
  }
}
