package io.chunkrelay.auth;

import io.chunkrelay.wire.ProblemType;

/**
 * A request refused for who is asking: a missing, invalid or expired token (401) or a grant that
 * does not cover what was asked (403). The message is safe to show the caller: it never says which
 * check a bad token failed.
 */
public final class Denied extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient ProblemType type;

  Denied(ProblemType type, String message) {
    super(message, null, false, false);
    this.type = type;
  }

  public ProblemType type() {
    return type;
  }
}
