package io.chunkrelay.config;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
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
 *     CHUNK_RELAY_JWT_SECRET}); empty: the key the deployment's nodes generated and share in
 *     PostgreSQL
 * @param tlsTrust the certificates a {@code rediss://} server's chain must lead to ({@code
 *     CHUNK_RELAY_REDIS_TLS_CA}, PEM text or file, like {@code redis-cli --cacert}); empty: the
 *     JVM's trust store ({@code javax.net.ssl.trustStore}, which also carries client certificates
 *     via {@code javax.net.ssl.keyStore}). The server's name is checked against its certificate
 *     either way.
 */
public record RedisSettings(
    URI url,
    int timeoutMillis,
    String channelPrefix,
    Optional<String> fanoutKey,
    List<X509Certificate> tlsTrust) {

  public RedisSettings {
    tlsTrust = List.copyOf(tlsTrust);
  }

  static RedisSettings read(SettingReader in, AuthSettings auth) {
    URI url = in.redisUrl("CHUNK_RELAY_REDIS_URL");
    return new RedisSettings(
        url,
        in.integer(
            "CHUNK_RELAY_REDIS_TIMEOUT_MILLIS",
            RelayConfig.DEFAULT_REDIS_TIMEOUT_MILLIS,
            10,
            60_000),
        in.channelPrefix("CHUNK_RELAY_REDIS_CHANNEL_PREFIX"),
        fanoutKey(in, auth),
        tlsTrust(in, url));
  }

  /** Whether the node speaks TLS to Redis ({@code rediss://}). */
  public boolean tls() {
    return "rediss".equals(url.getScheme());
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
        + (tlsTrust.isEmpty() ? "" : ", TLS trusting " + tlsTrust.size() + " given certificates")
        + (fanoutKey.isPresent()
            ? ", messages sealed with the configured key)"
            : ", messages sealed with the deployment's generated key)");
  }

  private static List<X509Certificate> tlsTrust(SettingReader in, URI url) {
    Optional<String> pem = in.pem("CHUNK_RELAY_REDIS_TLS_CA", "CA certificates");
    if (pem.isEmpty()) {
      return List.of();
    }
    if (!"rediss".equals(url.getScheme())) {
      throw new ConfigException(
          "CHUNK_RELAY_REDIS_TLS_CA is set but CHUNK_RELAY_REDIS_URL does not use TLS: write it"
              + " as rediss://host:port");
    }
    try {
      List<X509Certificate> certificates =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.get().getBytes(StandardCharsets.US_ASCII)))
              .stream()
              .map(X509Certificate.class::cast)
              .toList();
      if (!certificates.isEmpty()) {
        return certificates;
      }
    } catch (CertificateException | RuntimeException e) {
      throw new ConfigException(
          "CHUNK_RELAY_REDIS_TLS_CA holds no readable PEM certificate: " + e.getMessage());
    }
    throw new ConfigException("CHUNK_RELAY_REDIS_TLS_CA holds no PEM certificate");
  }

  /**
   * The cluster's fan-out key: given, or the JWT secret every node shares anyway (a key is derived
   * from it); without either, the node uses the key its deployment keeps in PostgreSQL.
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
    return given.or(auth::jwtSecret);
  }
}
