package io.chunkrelay.web.api;

import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.StreamIdGrammar;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for the parts of an API
 * request that are not its chunks: the path as the client wrote it, the media type, the body's
 * size, the Idempotency-Key and the query's numbers. Each is read once and refused with its stable
 * problem before the chunk log is touched; a part given twice is refused rather than guessed.
 */
public final class ApiRequest {
  static final String NDJSON = "application/x-ndjson";

  private ApiRequest() {}

  /**
   * Refuses a path with an empty or dot segment: the container merges and resolves those ({@code
   * /api/streams//chunks} would read stream "chunks"), so it would serve a path the client did not
   * mean.
   */
  static void requireNormalPath(HttpServletRequest request) {
    String raw = request.getRequestURI();
    if (raw.contains("//")
        || raw.contains("/./")
        || raw.contains("/../")
        || raw.endsWith("/.")
        || raw.endsWith("/..")) {
      throw new ApiException(
          ProblemType.NOT_FOUND, "no such resource: the path has an empty or dot segment");
    }
  }

  /** The request's one Idempotency-Key, if any; refused when malformed or sent twice. */
  static Optional<String> idempotencyKey(HttpServletRequest request) {
    Enumeration<String> keys = request.getHeaders("Idempotency-Key");
    if (keys == null || !keys.hasMoreElements()) {
      return Optional.empty();
    }
    String key = keys.nextElement();
    if (keys.hasMoreElements()) {
      // Which one would a proxy or a retry have meant? Neither is taken.
      throw new ApiException(
          ProblemType.INVALID_IDEMPOTENCY_KEY,
          "Idempotency-Key was sent more than once; send it once");
    }
    boolean visibleAscii = key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    if (key.isEmpty() || key.length() > Limits.IDEMPOTENCY_KEY_MAX_CHARS || !visibleAscii) {
      throw new ApiException(
          ProblemType.INVALID_IDEMPOTENCY_KEY,
          "Idempotency-Key must be 1 to "
              + Limits.IDEMPOTENCY_KEY_MAX_CHARS
              + " visible ASCII characters");
    }
    return Optional.of(key);
  }

  /** The media type of the body, lower case, without parameters; empty if none. */
  static String mediaType(HttpServletRequest request) {
    String type = request.getContentType();
    return type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
  }

  /** Refuses a body that is not UTF-8 JSON (415). */
  static void requireJson(HttpServletRequest request) {
    String mediaType = mediaType(request);
    boolean json = mediaType.equals("application/json") || mediaType.endsWith("+json");
    if (!json) {
      throw new ApiException(
          ProblemType.UNSUPPORTED_MEDIA_TYPE,
          "send chunks as Content-Type: application/json (UTF-8), or stream them as "
              + NDJSON
              + ", got '"
              + Objects.toString(request.getContentType(), "")
              + "'");
    }
    requireUtf8(request);
  }

  /** Refuses a body in any charset but UTF-8 (415). */
  static void requireUtf8(HttpServletRequest request) {
    String charset = request.getCharacterEncoding();
    if (charset != null && !charset.equalsIgnoreCase("UTF-8")) {
      throw new ApiException(
          ProblemType.UNSUPPORTED_MEDIA_TYPE, "chunks are UTF-8, got charset '" + charset + "'");
    }
  }

  /**
   * Whether the container reports {@code failure} because the body's framing is broken (a chunk
   * size that is not hex, a chunk without its line end): its "bad request", not the connection
   * breaking. Tomcat then calls the read listener's {@code onError}, where the answer must be
   * written and flushed: the connection is closed as soon as it returns.
   */
  static boolean malformedBody(Throwable failure) {
    if (!(failure instanceof IOException)) {
      return false;
    }
    for (Class<?> type = failure.getClass(); type != null; type = type.getSuperclass()) {
      if (type.getSimpleName().equals("BadRequestException")) {
        return true;
      }
    }
    return false;
  }

  static ApiException malformed(Throwable failure) {
    return new ApiException(
        ProblemType.MALFORMED_BODY,
        "the body's chunked framing is broken ("
            + failure.getMessage()
            + "); the connection is closed after this answer");
  }

  static ApiException tooLarge(long bytes, long maxBytes) {
    return new ApiException(
        ProblemType.REQUEST_TOO_LARGE,
        "the request body has "
            + (bytes > maxBytes ? "more than " : "")
            + maxBytes
            + " bytes, the limit");
  }

  /**
   * {@code raw} as a stream id of at most {@code maxChars}; refused as invalid-stream-id if not.
   */
  static String streamId(String raw, int maxChars) {
    String problem = StreamIdGrammar.problemWith(raw, maxChars);
    if (problem != null) {
      throw new ApiException(ProblemType.INVALID_STREAM_ID, problem);
    }
    return raw;
  }

  /** The query parameter {@code name} as an integer in [min, max]; refused if given twice. */
  static long number(
      HttpServletRequest request, String name, long min, long max, long defaultValue) {
    String[] values;
    try {
      values = request.getParameterValues(name);
    } catch (IllegalStateException unreadable) {
      // The container refuses a query it cannot read whole (Tomcat: more than maxParameterCount
      // parameters, or one that does not decode); that is the client's doing, not a 500.
      throw new ApiException(
          ProblemType.INVALID_PARAMETER,
          "the query cannot be read: too many parameters, or one that does not decode");
    }
    if (values == null) {
      return defaultValue;
    }
    if (values.length > 1) {
      throw new ApiException(
          ProblemType.INVALID_PARAMETER,
          name + " was given " + values.length + " times; give it once");
    }
    String raw = values[0];
    try {
      long value = Long.parseLong(raw);
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException notANumber) {
      // answered below with the accepted range
    }
    throw new ApiException(
        ProblemType.INVALID_PARAMETER,
        name + " must be an integer from " + min + " to " + max + ", got '" + raw + "'");
  }
}
