package io.chunkrelay.testing;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The tests' one JSON mapper (thread-safe once built; nothing reconfigures it). */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}
