package io.chunkrelay.client;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) visible to a JVM caller.
 *
 * <p>A request the server refused ({@link #status()} and the problem's stable {@link #code()}, such
 * as {@code stream-completed}), or one that still failed after every retry (status 0 when no answer
 * came at all, code {@code unreachable}).
 */
public final class ChunkRelayException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String code;

  public ChunkRelayException(int status, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
