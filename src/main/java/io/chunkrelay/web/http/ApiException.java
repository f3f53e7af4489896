package io.chunkrelay.web.http;

import io.chunkrelay.wire.ProblemType;
import java.time.Duration;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing). A request refused with a
 * problem of one {@link ProblemType}; the detail is safe to show.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ProblemType type;
  private final long retryAfterSeconds;

  public ApiException(ProblemType type, String detail) {
    this(type, detail, 0);
  }

  private ApiException(ProblemType type, String detail, long retryAfterSeconds) {
    super(detail, null, false, false);
    this.type = type;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * {@code 429 rate-limited}: the caller appends faster than its allowance; it may try again once
   * {@code wait} (rounded up to whole seconds) has passed.
   */
  public static ApiException rateLimited(Duration wait) {
    return new ApiException(
        ProblemType.RATE_LIMITED,
        "this producer appends faster than it may; slow down",
        Math.max(1, wait.toSeconds() + 1));
  }

  public ProblemType type() {
    return type;
  }

  /** The {@code Retry-After} the answer carries, in seconds; 0 for none. */
  long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
