package io.chunkrelay.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * How a node reaches Redis and authenticates what it says there: the URL (with an ACL login and TLS
 * when given), timeouts, the channel prefix, and the cluster key its fan-out messages are sealed
 * with.
 *
 * @param url {@code CHUNK_RELAY_REDIS_URL}, {@code redis://host:port}
 * @param timeoutMillis connect and command timeout; a publish never waits longer ({@code
 *     CHUNK_RELAY_REDIS_TIMEOUT_MILLIS})
 * @param channelPrefix prefix of every Pub/Sub channel, so several deployments can share one Redis
 *     ({@code CHUNK_RELAY_REDIS_CHANNEL_PREFIX})
 * @param fanoutKey the cluster key every fan-out message is authenticated with ({@code
 *     CHUNK_RELAY_FANOUT_KEY}, the same on every node; else derived from {@code
 *     CHUNK_RELAY_JWT_SECRET}); empty only when no token is required and none is set
 */
public record RedisSettings(
    URI url, int timeoutMillis, String channelPrefix, Optional<String> fanoutKey) {

  static RedisSettings read(SettingReader in, AuthSettings auth) {
    return new RedisSettings(
        in.redisUrl("CHUNK_RELAY_REDIS_URL"),
        in.integer(
            "CHUNK_RELAY_REDIS_TIMEOUT_MILLIS",
            RelayConfig.DEFAULT_REDIS_TIMEOUT_MILLIS,
            10,
            60_000),
        in.channelPrefix("CHUNK_RELAY_REDIS_CHANNEL_PREFIX"),
        fanoutKey(in, auth));
  }

  @Override
  public String toString() {
    // Never print the key, nor the password in the URL.
    String shown =
        url.getUserInfo() == null
            ? url.toString()
            : url.getScheme()
                + "://***@"
                + url.getHost()
                + (url.getPort() > 0 ? ":" + url.getPort() : "");
    return shown
        + " (prefix "
        + channelPrefix
        + (fanoutKey.isPresent() ? ", messages authenticated)" : ", messages not authenticated)");
  }

  /**
   * The cluster's fan-out key: given, or derived from the JWT secret every node shares anyway. A
   * node that requires tokens must not let whoever can PUBLISH to Redis put words in a client's
   * mouth, so without either it does not start.
   */
  private static Optional<String> fanoutKey(SettingReader in, AuthSettings auth) {
    Optional<String> given = in.optional("CHUNK_RELAY_FANOUT_KEY");
    given
        .filter(key -> key.getBytes(StandardCharsets.UTF_8).length < 32)
        .ifPresent(
            key -> {
              throw new ConfigException(
                  "CHUNK_RELAY_FANOUT_KEY must have at least 32 bytes (e.g. openssl rand -base64"
                      + " 48), the same on every node");
            });
    Optional<String> key = given.or(auth::jwtSecret);
    if (key.isEmpty() && auth.mode() == AuthSettings.Mode.JWT) {
      throw new ConfigException(
          "CHUNK_RELAY_FANOUT_KEY is not set: with CHUNK_RELAY_AUTH=jwt and a public key or JWKS,"
              + " nodes authenticate their Redis messages with this cluster key (at least 32"
              + " bytes, the same on every node)");
    }
    return key;
  }
}
