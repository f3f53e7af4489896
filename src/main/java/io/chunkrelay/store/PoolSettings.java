package io.chunkrelay.store;

import java.util.Optional;

/**
 * How the node's own connection pool reaches PostgreSQL, in plain values (the store reads no
 * configuration of its own).
 *
 * @param jdbcUrl the PostgreSQL JDBC URL
 * @param maxConnections most connections the pool opens
 * @param connectTimeoutMillis how long a caller waits for a connection before failing
 * @param socketTimeoutMillis how long a statement waits for PostgreSQL on an open connection
 * @param applicationName what {@code pg_stat_activity} shows for the pool's connections
 */
public record PoolSettings(
    String jdbcUrl,
    Optional<String> user,
    Optional<String> password,
    int maxConnections,
    long connectTimeoutMillis,
    long socketTimeoutMillis,
    String applicationName) {
  @Override
  public String toString() {
    // Never print the password.
    return jdbcUrl + " as " + user.orElse("(driver default user)");
  }
}
