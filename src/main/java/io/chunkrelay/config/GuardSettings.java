package io.chunkrelay.config;

/**
 * How much one caller may ask of a node, read once at start-up. Each bound has a safe default and 0
 * switches a rate off.
 *
 * @param appendsPerSecondPerSubject append requests one authenticated subject may make per second,
 *     with bursts of twice that ({@code CHUNK_RELAY_RATE_APPENDS_PER_SECOND}; counted per token
 *     {@code sub} or container principal; a node without authentication has no subjects to count)
 * @param maxConnections open WebSocket connections a node holds ({@code
 *     CHUNK_RELAY_MAX_CONNECTIONS})
 * @param maxConnectionsPerAddress open WebSocket connections from one client address ({@code
 *     CHUNK_RELAY_MAX_CONNECTIONS_PER_ADDRESS}; behind a load balancer that hides addresses, raise
 *     it to {@code CHUNK_RELAY_MAX_CONNECTIONS})
 * @param connectionsPerSecond new WebSocket connections a node accepts per second, with bursts of
 *     that many ({@code CHUNK_RELAY_RATE_CONNECTIONS_PER_SECOND})
 */
public record GuardSettings(
    int appendsPerSecondPerSubject,
    int maxConnections,
    int maxConnectionsPerAddress,
    int connectionsPerSecond) {
  public static final int DEFAULT_APPENDS_PER_SECOND_PER_SUBJECT = 2_000;
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1_000;
  public static final int DEFAULT_CONNECTIONS_PER_SECOND = 2_000;

  static GuardSettings read(SettingReader in) {
    GuardSettings guard =
        new GuardSettings(
            in.integer(
                "CHUNK_RELAY_RATE_APPENDS_PER_SECOND",
                DEFAULT_APPENDS_PER_SECOND_PER_SUBJECT,
                0,
                10_000_000),
            in.integer("CHUNK_RELAY_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000),
            in.integer(
                "CHUNK_RELAY_MAX_CONNECTIONS_PER_ADDRESS",
                DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
                1,
                1_000_000),
            in.integer(
                "CHUNK_RELAY_RATE_CONNECTIONS_PER_SECOND",
                DEFAULT_CONNECTIONS_PER_SECOND,
                0,
                1_000_000));
    return guard;
  }
}
