package io.chunkrelay.fanout;

import io.chunkrelay.config.RedisSettings;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * Keeps the Redis address and login in one place. Where Redis is and how to log in, from {@code
 * CHUNK_RELAY_REDIS_URL}; over TLS ({@code rediss://}) the server must show a certificate for its
 * host name that leads to {@code CHUNK_RELAY_REDIS_TLS_CA} (or to the JVM's trust store).
 */
record RedisEndpoint(HostAndPort address, JedisClientConfig clientConfig) {
  static RedisEndpoint of(RedisSettings settings, String clientName) {
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(settings.timeoutMillis())
            .socketTimeoutMillis(settings.timeoutMillis())
            .clientName(clientName.replaceAll("[^A-Za-z0-9._:-]", "_"))
            .ssl(settings.tls())
            // Pub/Sub here speaks RESP2, which every Redis 6 and 7 answers without negotiation.
            .autoNegotiateProtocol(false);
    String userInfo = settings.url().getUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        config.password(userInfo);
      } else {
        if (colon > 0) {
          config.user(userInfo.substring(0, colon));
        }
        config.password(userInfo.substring(colon + 1));
      }
    }
    if (!settings.tlsTrust().isEmpty()) {
      // Jedis checks the host name itself (HTTPS endpoint identification) when given a factory.
      config.sslSocketFactory(trusting(settings.tlsTrust()));
    }
    int port = settings.url().getPort() > 0 ? settings.url().getPort() : 6379;
    return new RedisEndpoint(new HostAndPort(settings.url().getHost(), port), config.build());
  }

  private static SSLSocketFactory trusting(List<X509Certificate> certificates) {
    try {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        trusted.setCertificateEntry("redis-ca-" + i, certificates.get(i));
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot set up TLS to Redis: " + e.getMessage(), e);
    }
  }
}
