package io.chunkrelay.fanout;

import io.chunkrelay.config.RedisSettings;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * Keeps the Redis address and login in one place. Where Redis is and how to log in, from {@code
 * CHUNK_RELAY_REDIS_URL}.
 */
record RedisEndpoint(HostAndPort address, JedisClientConfig clientConfig) {
  static RedisEndpoint of(RedisSettings settings, String clientName) {
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(settings.timeoutMillis())
            .socketTimeoutMillis(settings.timeoutMillis())
            .clientName(clientName.replaceAll("[^A-Za-z0-9._:-]", "_"))
            .ssl("rediss".equals(settings.url().getScheme()))
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
    int port = settings.url().getPort() > 0 ? settings.url().getPort() : 6379;
    return new RedisEndpoint(new HostAndPort(settings.url().getHost(), port), config.build());
  }
}
