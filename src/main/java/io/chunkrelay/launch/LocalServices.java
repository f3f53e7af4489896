package io.chunkrelay.launch;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import redis.embedded.RedisServer;

/**
 * Keeps the quick start to one command.
 *
 * <p>Finds PostgreSQL and Redis servers on this machine, or starts embedded ones: the defaults of
 * the embedded run, and the last two steps of the test suite's service resolution.
 */
public final class LocalServices {
  public static final String LOCAL_HOST = "127.0.0.1";
  public static final int POSTGRES_PORT = 5432;
  public static final int REDIS_PORT = 6379;
  private static final int CONNECT_TIMEOUT_MILLIS = 500;

  /** The role that owns the schema and migrates it (any role can; this is the local default). */
  public static final String OWNER_ROLE = "chunk_relay_owner";

  /** The role nodes log in as; the migrations grant it what the node needs. */
  public static final String RUNTIME_ROLE = "chunk_relay_runtime";

  /** The read-only role of the people and tools that audit the log. */
  public static final String AUDITOR_ROLE = "chunk_relay_auditor";

  private LocalServices() {}

  /** A PostgreSQL database to use, and how to stop it if it was started here. */
  public record Postgres(
      String jdbcUrl, String user, String password, String description, AutoCloseable stop) {}

  /** A Redis server to use, and how to stop it if it was started here. */
  public record Redis(String url, String description, AutoCloseable stop) {}

  /** Whether something accepts TCP connections at host:port within half a second. */
  public static boolean answers(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The PostgreSQL on 127.0.0.1:5432, if one answers and lets {@code user} in, with {@code
   * database} created there when missing.
   *
   * @throws SQLException when a server answers but refuses the login or the database
   */
  public static Optional<Postgres> localPostgres(String database, String user) throws SQLException {
    if (!answers(LOCAL_HOST, POSTGRES_PORT)) {
      return Optional.empty();
    }
    String server = "jdbc:postgresql://" + LOCAL_HOST + ":" + POSTGRES_PORT + "/";
    ensureDatabase(server + "postgres", user, "", database);
    return Optional.of(
        new Postgres(
            server + database,
            user,
            "",
            "local PostgreSQL at " + LOCAL_HOST + ":" + POSTGRES_PORT + ", database " + database,
            () -> {}));
  }

  /** Starts the embedded PostgreSQL keeping its data in {@code dataDirectory}. */
  public static Postgres embeddedPostgres(Path dataDirectory, String database) throws IOException {
    Files.createDirectories(dataDirectory);
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(false)
            .setPort(freePort())
            .setPGStartupWait(Duration.ofSeconds(60))
            // Stopped by the run after Tomcat, not by a hook of its own racing the node's stop
            // (which then lost its connections with 57P01).
            .setRegisterShutdownHook(false)
            .start();
    String server = "jdbc:postgresql://" + LOCAL_HOST + ":" + postgres.getPort() + "/";
    try {
      ensureDatabase(server + "postgres", "postgres", "", database);
    } catch (SQLException e) {
      postgres.close();
      throw new IOException("embedded PostgreSQL started but cannot create " + database, e);
    }
    return new Postgres(
        server + database,
        "postgres",
        "",
        "embedded PostgreSQL at "
            + LOCAL_HOST
            + ":"
            + postgres.getPort()
            + ", data in "
            + dataDirectory.toAbsolutePath(),
        postgres);
  }

  /** The Redis on 127.0.0.1:6379, if it answers PING. */
  public static Optional<Redis> localRedis() {
    if (!pingsRedis(LOCAL_HOST, REDIS_PORT)) {
      return Optional.empty();
    }
    return Optional.of(
        new Redis(
            "redis://" + LOCAL_HOST + ":" + REDIS_PORT,
            "local Redis at " + LOCAL_HOST + ":" + REDIS_PORT,
            () -> {}));
  }

  /** Starts the embedded Redis (keeps nothing on disk) on a free loopback port. */
  public static Redis embeddedRedis() throws IOException {
    int port = freePort();
    RedisServer server =
        RedisServer.newRedisServer()
            .bind(LOCAL_HOST)
            .port(port)
            .setting("save \"\"")
            .setting("appendonly no")
            .build();
    server.start();
    return new Redis(
        "redis://" + LOCAL_HOST + ":" + port,
        "embedded Redis at " + LOCAL_HOST + ":" + port,
        server::stop);
  }

  /** Whether a Redis server answers PING at host:port. */
  public static boolean pingsRedis(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
      socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * What a DBA does once per PostgreSQL cluster (docs/DBA.md, Roles), done for the embedded run and
   * the tests by a superuser's {@code connection}: the owner role (LOGIN, CREATEROLE so its
   * migrations can set the runtime role's limits), the runtime role (LOGIN) and the auditor role
   * (NOLOGIN), each created where missing; the login roles get {@code password} when one is given
   * (servers that ask for passwords).
   */
  public static void ensureRoles(Connection connection, Optional<String> password)
      throws SQLException {
    ensureRole(connection, OWNER_ROLE, "login nosuperuser createrole", password);
    ensureRole(connection, RUNTIME_ROLE, "login nosuperuser", password);
    ensureRole(connection, AUDITOR_ROLE, "nologin nosuperuser", Optional.empty());
    try (Statement statement = connection.createStatement()) {
      // PostgreSQL 16 and later let a CREATEROLE role set another role's limits only with this.
      statement.execute(
          "grant "
              + RUNTIME_ROLE
              + ", "
              + AUDITOR_ROLE
              + " to "
              + OWNER_ROLE
              + " with admin option");
    }
  }

  private static void ensureRole(
      Connection connection, String role, String attributes, Optional<String> password)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      try {
        statement.execute("create role " + role + " " + attributes);
      } catch (SQLException e) {
        // 42710: it exists (made earlier, or by a concurrent start), which is just as good.
        if (!"42710".equals(e.getSQLState())) {
          throw e;
        }
      }
      if (password.isPresent() && !password.get().isEmpty()) {
        statement.execute(
            "alter role " + role + " password '" + password.get().replace("'", "''") + "'");
      }
    }
  }

  /**
   * Makes {@link #OWNER_ROLE} the owner of {@code database} and of what an earlier run (before the
   * log had roles) created in its public schema as another role, so the owner can migrate it.
   */
  public static void ownDatabase(Postgres admin, String database) throws SQLException {
    try (Connection connection =
            DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
        Statement statement = connection.createStatement()) {
      ensureRoles(connection, Optional.empty());
      statement.execute(
          "alter database \"" + database.replace("\"", "\"\"") + "\" owner to " + OWNER_ROLE);
      statement.execute(
          "do $own$ declare t record; begin for t in select tablename from pg_tables"
              + " where schemaname = 'public' and tableowner <> '"
              + OWNER_ROLE
              + "' loop execute format('alter table public.%I owner to "
              + OWNER_ROLE
              + "', t.tablename); end loop; end $own$");
    }
  }

  private static void ensureDatabase(String adminUrl, String user, String password, String database)
      throws SQLException {
    try (Connection connection = DriverManager.getConnection(adminUrl, user, password);
        PreparedStatement exists =
            connection.prepareStatement("select 1 from pg_database where datname = ?")) {
      exists.setString(1, database);
      try (ResultSet row = exists.executeQuery()) {
        if (row.next()) {
          return;
        }
      }
      try (Statement create = connection.createStatement()) {
        create.execute("create database \"" + database.replace("\"", "\"\"") + "\"");
      } catch (SQLException e) {
        // 42P04: a concurrent start created it first, which is just as good.
        if (!"42P04".equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }
}
