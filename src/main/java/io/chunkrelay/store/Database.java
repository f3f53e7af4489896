package io.chunkrelay.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chunkrelay.config.RelayConfig.DatabaseSettings;
import java.util.HashMap;
import java.util.Map;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.cfg.AvailableSettings;

/**
 * The node's PostgreSQL: a connection pool (the node's own HikariCP pool, or the container's JNDI
 * DataSource), the schema migrated by Flyway from {@code db/migration}, and a Hibernate {@link
 * SessionFactory} that validates its mapping against that schema and never generates DDL.
 *
 * <p>Opened once when the web application starts and closed when it stops.
 */
public final class Database implements AutoCloseable {
  private static final int JDBC_BATCH_SIZE = 100;

  private final DataSource dataSource;
  private final HikariDataSource ownPool;
  private final SessionFactory sessions;

  private Database(DataSource dataSource, HikariDataSource ownPool, SessionFactory sessions) {
    this.dataSource = dataSource;
    this.ownPool = ownPool;
    this.sessions = sessions;
  }

  /** Connects, migrates and validates; fails with the cause if any step does. */
  public static Database open(DatabaseSettings settings, String nodeId) {
    HikariDataSource ownPool = null;
    DataSource dataSource;
    if (settings.dataSourceJndiName().isPresent()) {
      dataSource = lookup(settings.dataSourceJndiName().get());
    } else {
      ownPool = pool(settings, nodeId);
      dataSource = ownPool;
    }
    try {
      Flyway.configure(Database.class.getClassLoader())
          .dataSource(dataSource)
          .locations("classpath:db/migration")
          .load()
          .migrate();
      return new Database(dataSource, ownPool, sessionFactory(dataSource));
    } catch (RuntimeException e) {
      if (ownPool != null) {
        ownPool.close();
      }
      throw e;
    }
  }

  public SessionFactory sessions() {
    return sessions;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() {
    try {
      sessions.close();
    } finally {
      if (ownPool != null) {
        ownPool.close();
      }
    }
  }

  private static HikariDataSource pool(DatabaseSettings settings, String nodeId) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("chunk-relay-" + nodeId);
    config.setJdbcUrl(settings.jdbcUrl().orElseThrow());
    // Named, not looked up: DriverManager does not see a driver that lives in a web application.
    config.setDriverClassName("org.postgresql.Driver");
    settings.user().ifPresent(config::setUsername);
    settings.password().ifPresent(config::setPassword);
    config.setMaximumPoolSize(settings.poolSize());
    config.setConnectionTimeout(settings.connectTimeoutMillis());
    config.addDataSourceProperty("ApplicationName", "chunk-relay " + nodeId);
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    // pgjdbc counts this in seconds; a stalled connection then fails instead of hanging a request.
    config.addDataSourceProperty(
        "socketTimeout", Long.toString(Math.max(1, settings.socketTimeoutMillis() / 1000)));
    // Do not fail pool construction when PostgreSQL is down: Flyway's first query reports that.
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  private static DataSource lookup(String jndiName) {
    try {
      return (DataSource) new InitialContext().lookup(jndiName);
    } catch (NamingException | ClassCastException e) {
      throw new IllegalStateException(
          "CHUNK_RELAY_DB_DATASOURCE names '" + jndiName + "', which is not a bound DataSource", e);
    }
  }

  private static SessionFactory sessionFactory(DataSource dataSource) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, dataSource);
    settings.put(AvailableSettings.HBM2DDL_AUTO, "validate");
    settings.put(AvailableSettings.STATEMENT_BATCH_SIZE, JDBC_BATCH_SIZE);
    settings.put(AvailableSettings.ORDER_INSERTS, true);
    settings.put(AvailableSettings.USE_SECOND_LEVEL_CACHE, false);
    StandardServiceRegistry registry =
        new StandardServiceRegistryBuilder().applySettings(settings).build();
    try {
      return new MetadataSources(registry)
          .addAnnotatedClass(StreamRow.class)
          .addAnnotatedClass(ChunkRow.class)
          .addAnnotatedClass(IdempotencyRow.class)
          .buildMetadata()
          .buildSessionFactory();
    } catch (RuntimeException e) {
      StandardServiceRegistryBuilder.destroy(registry);
      throw e;
    }
  }
}
