package io.chunkrelay.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chunkrelay.threads.OwnThreads;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.cfg.AvailableSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node from serving against a schema it does not know: the node's PostgreSQL, a
 * connection pool (the node's own HikariCP pool, or the container's JNDI DataSource), the schema at
 * the version of {@code db/migration} ({@link Schema}: migrated by its owner, or checked), and the
 * Hibernate mapping of its tables and audit views validated against that schema and kept for the
 * audit side (Hibernate never generates DDL or writes).
 *
 * <p>Opened once when the node starts and closed when it stops. Only the store's own classes get
 * its DataSource.
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final DataSource dataSource;
  private final OwnPool ownPool;
  private final Mapping mapping;

  /** Hibernate's mapping, validated at start-up and kept for the audit side ({@link AuditLog}). */
  private record Mapping(StandardServiceRegistry registry, SessionFactory sessions) {
    void close() {
      sessions.close();
      StandardServiceRegistryBuilder.destroy(registry);
    }
  }

  /**
   * The node's own HikariCP pool and its housekeeping thread, which the pool's close does not wait
   * for: this does, so no thread of the pool outlives the node.
   */
  private record OwnPool(
      HikariDataSource pool, ScheduledThreadPoolExecutor housekeeping, OwnThreads threads) {
    void close() {
      pool.close();
      housekeeping.shutdownNow();
      threads.awaitEnd(Duration.ofSeconds(2));
    }
  }

  private Database(DataSource dataSource, OwnPool ownPool, Mapping mapping) {
    this.dataSource = dataSource;
    this.ownPool = ownPool;
    this.mapping = mapping;
  }

  /**
   * Opens the node's own pool, migrates or checks the schema's version as {@code migration} says,
   * and validates; fails with the cause if any step does.
   */
  public static Database pooled(PoolSettings settings, Schema.Migration migration) {
    OwnPool own = pool(settings);
    try {
      return prepared(own.pool(), own, migration);
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  /**
   * Uses the container's DataSource bound at {@code jndiName} (the setting {@code settingName}
   * names it), migrates and validates.
   */
  public static Database container(
      String jndiName, String settingName, Schema.Migration migration) {
    DataSource dataSource;
    try {
      dataSource = (DataSource) new InitialContext().lookup(jndiName);
    } catch (NamingException | ClassCastException e) {
      throw new IllegalStateException(
          settingName + " names '" + jndiName + "', which is not a bound DataSource", e);
    }
    return prepared(dataSource, null, migration);
  }

  private static Database prepared(
      DataSource dataSource, OwnPool ownPool, Schema.Migration migration) {
    if (migration.onStart()) {
      Schema.Migrated migrated =
          migration.owner().map(Schema::migrate).orElseGet(() -> Schema.migrate(dataSource));
      LOG.info(
          "{}{}",
          migrated,
          migration.owner().map(owner -> " as " + owner.user()).orElse(" over the node's pool"));
    }
    Schema.requireCurrent(dataSource);
    Mapping mapping = validatedMapping(dataSource);
    warnIfPrivileged(dataSource);
    return new Database(dataSource, ownPool, mapping);
  }

  /**
   * Says so when the node's role could change the log's rules: a superuser, or the owner of the
   * tables (who can disable their triggers). The node needs neither (docs/DBA.md, Roles).
   */
  private static void warnIfPrivileged(DataSource dataSource) {
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "select current_user, r.rolsuper, pg_has_role(current_user, t.tableowner, 'USAGE')"
                    + " from pg_roles r, pg_tables t where r.rolname = current_user"
                    + " and t.schemaname = current_schema() and t.tablename = 'streams'")) {
      if (row.next() && (row.getBoolean(2) || row.getBoolean(3))) {
        LOG.warn(
            "the node connects as {}, which {} the chunk log and could alter it past its"
                + " triggers; run nodes as chunk_relay_runtime (docs/DBA.md, Roles)",
            row.getString(1),
            row.getBoolean(2) ? "is a superuser over" : "owns");
      }
    } catch (SQLException e) {
      LOG.warn("could not check the node's database privileges: {}", e.toString());
    }
  }

  /** Whether PostgreSQL answers on a connection of the pool within {@code timeoutSeconds}. */
  public boolean isReachable(int timeoutSeconds) {
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(timeoutSeconds);
    } catch (SQLException e) {
      LOG.warn("database unreachable: {}", e.toString());
      return false;
    }
  }

  DataSource dataSource() {
    return dataSource;
  }

  SessionFactory sessions() {
    return mapping.sessions();
  }

  @Override
  public void close() {
    mapping.close();
    if (ownPool != null) {
      ownPool.close();
    }
  }

  private static OwnPool pool(PoolSettings settings) {
    HikariConfig config = new HikariConfig();
    String name = settings.applicationName().replace(' ', '-');
    config.setPoolName(name);
    OwnThreads threads = new OwnThreads();
    ScheduledThreadPoolExecutor housekeeping =
        new ScheduledThreadPoolExecutor(1, threads.named(name + ":housekeeper"));
    housekeeping.setRemoveOnCancelPolicy(true);
    config.setScheduledExecutor(housekeeping);
    config.setJdbcUrl(settings.jdbcUrl());
    // Named, not looked up: DriverManager does not see a driver that lives in a web application.
    config.setDriverClassName("org.postgresql.Driver");
    settings.user().ifPresent(config::setUsername);
    settings.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(settings.maxConnections());
    config.setConnectionTimeout(settings.connectTimeoutMillis());
    config.addDataSourceProperty("ApplicationName", settings.applicationName());
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    // pgjdbc counts this in seconds; a stalled connection then fails instead of hanging a request.
    config.addDataSourceProperty(
        "socketTimeout", Long.toString(Math.max(1, settings.socketTimeoutMillis() / 1000)));
    // Do not fail pool construction when PostgreSQL is down: Flyway's first query reports that.
    config.setInitializationFailTimeout(-1);
    try {
      return new OwnPool(new HikariDataSource(config), housekeeping, threads);
    } catch (RuntimeException e) {
      housekeeping.shutdownNow();
      throw e;
    }
  }

  /**
   * Builds Hibernate's mapping of every table and audit view the node's SQL uses ({@code
   * hbm2ddl=validate}: a column missing or of another type stops the start here), read-only (every
   * entity is immutable; Hibernate never writes or generates DDL), and keeps it open for the audit
   * side.
   */
  private static Mapping validatedMapping(DataSource dataSource) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, dataSource);
    settings.put(AvailableSettings.HBM2DDL_AUTO, "validate");
    // The log's per-stream tables are partitioned (by day, for retention); the JDBC driver reports
    // them as this type, which validation does not look at unless told.
    settings.put(AvailableSettings.EXTRA_PHYSICAL_TABLE_TYPES, "PARTITIONED TABLE");
    settings.put(AvailableSettings.USE_SECOND_LEVEL_CACHE, false);
    StandardServiceRegistry registry =
        new StandardServiceRegistryBuilder().applySettings(settings).build();
    try {
      SessionFactory sessions =
          new MetadataSources(registry)
              .addAnnotatedClass(StreamRow.class)
              .addAnnotatedClass(ChunkRow.class)
              .addAnnotatedClass(IdempotencyRow.class)
              .addAnnotatedClass(ProducerRow.class)
              .addAnnotatedClass(PublicationRow.class)
              .addAnnotatedClass(ClusterKeyRow.class)
              .addAnnotatedClass(StreamHealthRow.class)
              .addAnnotatedClass(OutboxLagRow.class)
              .addAnnotatedClass(LegalHoldRow.class)
              .addAnnotatedClass(LogPolicyRow.class)
              .addAnnotatedClass(RetentionStateRow.class)
              .buildMetadata()
              .buildSessionFactory();
      LOG.debug("the mapping of every table and audit view matches the schema");
      return new Mapping(registry, sessions);
    } catch (RuntimeException e) {
      StandardServiceRegistryBuilder.destroy(registry);
      throw e;
    }
  }
}
