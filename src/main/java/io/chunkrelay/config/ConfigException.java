package io.chunkrelay.config;

/**
 * Keeps a badly configured node from starting. A setting is missing or invalid; the message names
 * the setting and says what it accepts.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
