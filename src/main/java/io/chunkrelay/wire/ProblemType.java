package io.chunkrelay.wire;

/**
 * Keeps the codes of promise 8 (bad input gets a clear error and changes nothing) stable.
 *
 * <p>Every error the API and the WebSocket endpoint report. The {@link #code()} is stable: clients
 * and tests match on it (as the problem's {@code code} member, as the last segment of its {@code
 * type} URI, and as the {@code code} of a WebSocket error frame).
 */
public enum ProblemType {
  MALFORMED_JSON(400, "Malformed JSON"),
  MALFORMED_BODY(400, "Malformed request body"),
  INVALID_CHUNK(400, "Invalid chunk"),
  CHUNK_TOO_LARGE(413, "Chunk too large"),
  BATCH_TOO_LARGE(413, "Batch too large"),
  REQUEST_TOO_LARGE(413, "Request body too large"),
  REQUEST_TIMEOUT(408, "Request took too long"),
  INVALID_STREAM_ID(400, "Invalid stream id"),
  INVALID_PARAMETER(400, "Invalid parameter"),
  INVALID_IDEMPOTENCY_KEY(400, "Invalid Idempotency-Key"),
  INVALID_PRODUCER_HEADERS(400, "Invalid producer headers"),
  STALE_PRODUCER_EPOCH(403, "Stale producer epoch"),
  PRODUCER_SEQ_GAP(409, "Producer sequence gap"),
  PRODUCER_NOT_OWNED(403, "Producer-Id belongs to another subject"),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
  STREAM_NOT_FOUND(404, "Stream not found"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  STREAM_COMPLETED(409, "Stream is completed"),
  STREAM_EXPIRED(410, "Stream expired"),
  IDEMPOTENCY_KEY_REUSED(422, "Idempotency-Key reused with a different request"),
  AFTER_BEYOND_HEAD(400, "Resume position beyond the stream head"),
  INVALID_PROMPT(400, "Invalid prompt"),
  TOO_MANY_REPLIES(429, "Too many demo replies"),
  DEMO_DISABLED(404, "Demo mode is off"),
  MISSING_TOKEN(401, "Token required"),
  INVALID_TOKEN(401, "Invalid token"),
  TOKEN_EXPIRED(401, "Token expired"),
  SCOPE_NOT_ALLOWED(403, "Scope not allowed"),
  STREAM_NOT_ALLOWED(403, "Stream not allowed"),
  ORIGIN_NOT_ALLOWED(403, "Origin not allowed"),
  HOST_NOT_ALLOWED(421, "Host not served"),
  INVALID_TRANSFER_ENCODING(400, "Invalid Transfer-Encoding"),
  RATE_LIMITED(429, "Rate limited"),
  UNEXPECTED_FRAME(400, "Unexpected client frame"),
  TOO_MANY_CONNECTIONS(503, "Too many connections"),
  DATABASE_UNAVAILABLE(503, "Database unavailable"),
  INTERNAL_ERROR(500, "Internal error");

  /** Prefix of every problem {@code type}; the code follows it. */
  public static final String TYPE_PREFIX = "urn:chunk-relay:problem:";

  private final int status;
  private final String title;

  ProblemType(int status, String title) {
    this.status = status;
    this.title = title;
  }

  /** Stable lowercase code such as {@code stream-completed}. */
  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  public String typeUri() {
    return TYPE_PREFIX + code();
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }
}
