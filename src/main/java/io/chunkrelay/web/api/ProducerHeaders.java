package io.chunkrelay.web.api;

import io.chunkrelay.chunk.ProducerClaim;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Enumeration;
import java.util.Optional;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for idempotent producers'
 * headers: {@code Producer-Id}, {@code Producer-Epoch} and {@code Producer-Seq} (the Durable
 * Streams names) come all three or not at all, each once; the id is 1 to 128 visible ASCII
 * characters, the numbers integers from 0 to 2^53 - 1. Anything else is {@code 400
 * invalid-producer-headers}, before the log is touched.
 */
public final class ProducerHeaders {
  static final String ID = "Producer-Id";
  static final String EPOCH = "Producer-Epoch";
  static final String SEQ = "Producer-Seq";

  private ProducerHeaders() {}

  /** The request's producer claim, if it makes one. */
  static Optional<ProducerClaim> of(HttpServletRequest request) {
    String id = single(request, ID);
    String epoch = single(request, EPOCH);
    String seq = single(request, SEQ);
    if (id == null && epoch == null && seq == null) {
      return Optional.empty();
    }
    if (id == null || epoch == null || seq == null) {
      throw invalid("send Producer-Id, Producer-Epoch and Producer-Seq together, or none of them");
    }
    if (request.getHeader("Idempotency-Key") != null) {
      throw invalid(
          "an append is made idempotent by its producer headers or an Idempotency-Key,"
              + " not both");
    }
    boolean visibleAscii = id.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    if (id.isEmpty() || id.length() > ProducerClaim.MAX_ID_CHARS || !visibleAscii) {
      throw invalid(
          "Producer-Id must be 1 to " + ProducerClaim.MAX_ID_CHARS + " visible ASCII characters");
    }
    return Optional.of(new ProducerClaim(id, number(EPOCH, epoch), number(SEQ, seq)));
  }

  /**
   * Tells the producer where it stands after a successful append: its epoch, and the number of the
   * last chunk stored in it.
   */
  static void echo(HttpServletResponse response, long epoch, long producerSeq) {
    response.setHeader(EPOCH, Long.toString(epoch));
    response.setHeader(SEQ, Long.toString(producerSeq));
  }

  /** The header's one value (trimmed), null if absent; sent twice, it is refused. */
  private static String single(HttpServletRequest request, String name) {
    Enumeration<String> values = request.getHeaders(name);
    if (values == null || !values.hasMoreElements()) {
      return null;
    }
    String value = values.nextElement();
    if (values.hasMoreElements()) {
      throw invalid(name + " was sent more than once; send it once");
    }
    return value.trim();
  }

  private static long number(String name, String raw) {
    boolean digits =
        !raw.isEmpty() && raw.length() <= 16 && raw.chars().allMatch(c -> c >= '0' && c <= '9');
    if (digits) {
      long value = Long.parseLong(raw);
      if (value <= ProducerClaim.MAX_NUMBER) {
        return value;
      }
    }
    throw invalid(
        name + " must be an integer from 0 to " + ProducerClaim.MAX_NUMBER + ", got '" + raw + "'");
  }

  private static ApiException invalid(String detail) {
    return new ApiException(ProblemType.INVALID_PRODUCER_HEADERS, detail);
  }
}
