package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Keeps the node from serving against a schema of another version: migrates it (as its owner, a
 * step of its own or at start-up when asked) or checks, as the node's own role, that it is at the
 * version this build's {@code db/migration} ends with.
 */
public final class Schema {
  /** What to tell an operator whose schema is behind. */
  static final String HOW_TO_MIGRATE =
      "run `java -jar chunk-relay.jar migrate` as the schema's owner (CHUNK_RELAY_DB_MIGRATE_USER),"
          + " or set CHUNK_RELAY_DB_MIGRATE=true to migrate at start-up";

  private Schema() {}

  /** How the node's start treats the schema. */
  public record Migration(boolean onStart, Optional<Login> owner) {
    /** Check the version only: migration is its own step. */
    public static Migration checkOnly() {
      return new Migration(false, Optional.empty());
    }

    /** Migrate at start-up, over the node's own connections (whose role must own the schema). */
    public static Migration overOwnConnections() {
      return new Migration(true, Optional.empty());
    }

    /** Migrate at start-up as {@code owner}, then serve as the node's own role. */
    public static Migration as(Login owner) {
      return new Migration(true, Optional.of(owner));
    }
  }

  /** A JDBC login; {@link #toString()} never shows the password. */
  public record Login(String jdbcUrl, String user, Optional<String> password) {
    DataSource dataSource() {
      PGSimpleDataSource dataSource = new PGSimpleDataSource();
      dataSource.setURL(jdbcUrl);
      dataSource.setUser(user);
      password.ifPresent(dataSource::setPassword);
      dataSource.setApplicationName("chunk-relay migrate");
      return dataSource;
    }

    @Override
    public String toString() {
      return jdbcUrl + " as " + user;
    }
  }

  /** What a migration did. */
  public record Migrated(String schema, String fromVersion, String toVersion, int applied) {
    @Override
    public String toString() {
      return applied == 0
          ? "schema " + schema + " is at version " + toVersion + "; nothing to migrate"
          : "schema "
              + schema
              + " migrated from version "
              + fromVersion
              + " to "
              + toVersion
              + " ("
              + applied
              + " migrations)";
    }
  }

  /** Applies the pending migrations as {@code owner}. */
  public static Migrated migrate(Login owner) {
    return migrate(owner.dataSource());
  }

  static Migrated migrate(DataSource dataSource) {
    MigrateResult result = flyway(dataSource).migrate();
    return new Migrated(
        currentSchema(dataSource),
        Optional.ofNullable(result.initialSchemaVersion).orElse("none"),
        Optional.ofNullable(result.targetSchemaVersion)
            .orElse(Optional.ofNullable(result.initialSchemaVersion).orElse("none")),
        result.migrationsExecuted);
  }

  /**
   * Fails, saying how to migrate, unless every migration of this build was applied and none of them
   * changed since (checked as the node's own role, which only reads the history).
   */
  static void requireCurrent(DataSource dataSource) {
    Flyway flyway = flyway(dataSource);
    MigrationInfoService info;
    try {
      info = flyway.info();
    } catch (FlywayException e) {
      throw new IllegalStateException(
          "cannot read the schema's migration history (" + e.getMessage() + "): " + HOW_TO_MIGRATE,
          e);
    }
    MigrationInfo[] pending = info.pending();
    if (pending.length > 0) {
      MigrationInfo current = info.current();
      throw new IllegalStateException(
          "the schema is at version "
              + (current == null ? "none (never migrated)" : current.getVersion())
              + " and this node needs version "
              + pending[pending.length - 1].getVersion()
              + ": "
              + HOW_TO_MIGRATE);
    }
    flyway.validate();
  }

  private static String currentSchema(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("select current_schema()")) {
      return row.next() ? row.getString(1) : "?";
    } catch (SQLException e) {
      throw new StoreException("cannot read the schema's name", e);
    }
  }

  private static Flyway flyway(DataSource dataSource) {
    return Flyway.configure(Schema.class.getClassLoader())
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        // Pending migrations are reported above, with what to do about them.
        .ignoreMigrationPatterns("*:pending")
        .load();
  }
}
