package io.chunkrelay.web;

import io.chunkrelay.wire.ProblemType;

/**
 * Keeps promise 8. A request refused with a problem of one {@link ProblemType}; the detail is safe
 * to show.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ProblemType type;

  ApiException(ProblemType type, String detail) {
    super(detail, null, false, false);
    this.type = type;
  }

  ProblemType type() {
    return type;
  }
}
