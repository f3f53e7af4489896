package io.chunkrelay.launch;

import io.chunkrelay.config.AuthSettings;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.store.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Tomcat;

/**
 * Keeps the quick start to one command.
 *
 * <p>{@code java -jar chunk-relay.jar}: one Chunk Relay node in an embedded Tomcat. {@code java
 * -jar chunk-relay.jar migrate}: migrates the schema (as {@code CHUNK_RELAY_DB_MIGRATE_USER}, else
 * {@code CHUNK_RELAY_DB_USER}) and exits.
 *
 * <p>PostgreSQL is {@code CHUNK_RELAY_DB_URL} when set, else the local server on 127.0.0.1:5432
 * when one answers (database {@code chunkrelay}, created if missing), else an embedded PostgreSQL
 * keeping its data under {@code CHUNK_RELAY_DATA_DIR} (default {@code ./chunk-relay-data}). On a
 * local or embedded server the run prepares what a DBA prepares once (the owner, runtime and
 * auditor roles, the database owned by the owner), migrates as the owner and serves as the runtime
 * role. Redis likewise: {@code CHUNK_RELAY_REDIS_URL}, else 127.0.0.1:6379, else an embedded Redis.
 * The choices are handed to the web application as system properties, the configuration is
 * validated, and the start-up banner says what is used and where to point a browser.
 */
public final class Launcher {
  static final String DATABASE_NAME = "chunkrelay";
  static final String DEFAULT_DATA_DIR = "chunk-relay-data";

  /**
   * Connections the embedded run accepts at once (each WebSocket client holds one), unless the
   * process may open fewer files than this plus {@link #FILES_KEPT_FREE}.
   */
  static final int MAX_CONNECTIONS = 25_000;

  /**
   * Open files the node keeps for itself below its limit: database and Redis connections, jars,
   * logs. A node at its connection bound still accepts (queued) and answers its own health check.
   */
  static final int FILES_KEPT_FREE = 1_024;

  /** How long a request's head (request line and headers) may take from its first byte. */
  static final int HEADER_TIMEOUT_MILLIS = 10_000;

  /**
   * How long the embedded connector waits for a request's next bytes (headers, a blocking body
   * read, a keep-alive's next request) before it gives the connection up.
   */
  static final int CONNECTION_TIMEOUT_MILLIS = 20_000;

  /**
   * How much of a body the application refused unread the connector reads and discards to keep the
   * connection: none. Tomcat's default (2 MiB) drains it with a blocking read, so a client that
   * announces a body and never sends it would hold a worker thread for the connection timeout.
   */
  static final int MAX_SWALLOW_BYTES = 0;

  /** Per-connection read and write buffer of the embedded connector, bytes. */
  static final int SOCKET_BUFFER_BYTES = 4096;

  private final SettingSource settings = SettingSource.standard();
  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  private Launcher() {}

  public static void main(String[] args) {
    // Before anything logs: what the node logs while it stops must not be cut off. (Calling into
    // LoggingUntilStopped here would initialize LogManager before the property is read.)
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", LoggingUntilStopped.class.getName());
    }
    Launcher launcher = new Launcher();
    Runtime.getRuntime().addShutdownHook(new Thread(launcher::stopServices, "chunk-relay-stop"));
    boolean migrateOnly = args.length == 1 && args[0].equals("migrate");
    if (args.length > 0 && !migrateOnly) {
      System.err.println(
          "usage: java -jar chunk-relay.jar            run a node\n"
              + "       java -jar chunk-relay.jar migrate    migrate the schema and exit");
      System.exit(2);
    }
    try {
      if (migrateOnly) {
        launcher.migrate();
        System.exit(0);
      }
      launcher.run();
    } catch (ConfigException e) {
      System.err.println("chunk-relay: configuration error: " + e.getMessage());
      System.exit(2);
    } catch (IOException | SQLException | LifecycleException | RuntimeException e) {
      System.err.println(
          "chunk-relay: " + (migrateOnly ? "migration failed: " : "cannot start: ") + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /**
   * Migrates the schema as its owner and reports the versions; the node itself needs no more than
   * the runtime role's privileges.
   */
  private void migrate() throws IOException, SQLException {
    String database =
        resolveDatabase(Path.of(settings.get("CHUNK_RELAY_DATA_DIR").orElse(DEFAULT_DATA_DIR)));
    String url =
        settings
            .get("CHUNK_RELAY_DB_URL")
            .orElseThrow(
                () ->
                    new ConfigException(
                        "CHUNK_RELAY_DB_URL is not set: migrate needs the JDBC URL of the"
                            + " database"));
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigException(
          "CHUNK_RELAY_DB_URL must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db),"
              + " got '"
              + url
              + "'");
    }
    boolean asMigrateUser = settings.get("CHUNK_RELAY_DB_MIGRATE_USER").isPresent();
    String user =
        settings
            .get(asMigrateUser ? "CHUNK_RELAY_DB_MIGRATE_USER" : "CHUNK_RELAY_DB_USER")
            .orElseThrow(
                () ->
                    new ConfigException(
                        "CHUNK_RELAY_DB_MIGRATE_USER is not set: name the role that owns the"
                            + " schema (docs/DBA.md, Roles)"));
    Optional<String> password =
        settings.get(asMigrateUser ? "CHUNK_RELAY_DB_MIGRATE_PASSWORD" : "CHUNK_RELAY_DB_PASSWORD");
    Schema.Migrated migrated = Schema.migrate(new Schema.Login(url, user, password));
    System.out.println("chunk-relay: " + migrated + ", as " + user + " (" + database + ")");
  }

  private void run() throws IOException, SQLException, LifecycleException {
    Path dataDir = Path.of(settings.get("CHUNK_RELAY_DATA_DIR").orElse(DEFAULT_DATA_DIR));
    String database = resolveDatabase(dataDir);
    String redis = resolveRedis();
    if (settings.get("CHUNK_RELAY_DEMO").isEmpty()) {
      // The embedded run is where people try the product: the demo chat's producer is on.
      System.setProperty("CHUNK_RELAY_DEMO", "true");
    }
    if (settings.get("CHUNK_RELAY_AUTH").isEmpty()) {
      // ...and needs no key: it listens on loopback only unless told otherwise, and says so.
      System.setProperty("CHUNK_RELAY_AUTH", "none");
    }
    RelayConfig config = RelayConfig.load(settings);

    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(dataDir.resolve("tomcat").toAbsolutePath().toString());
    // Connections are admitted per client address, and request heads have a deadline.
    Connector admitting = new Connector(AdmittingProtocol.class.getName());
    tomcat.getService().addConnector(admitting);
    tomcat.setConnector(admitting);
    admitting.setPort(config.httpPort());
    tomcat.getConnector().setProperty("address", config.httpAddress());
    // Tomcat's default (8,192) would queue the rest of a node's idle WebSocket clients unaccepted;
    // more than the process may open would end in "Too many open files" for everything else.
    tomcat.getConnector().setProperty("maxConnections", Integer.toString(maxConnections()));
    tomcat
        .getConnector()
        .setProperty(
            "maxConnectionsPerAddress",
            Integer.toString(config.guard().maxConnectionsPerAddress()));
    tomcat.getConnector().setProperty("headerTimeout", Integer.toString(HEADER_TIMEOUT_MILLIS));
    tomcat
        .getConnector()
        .setProperty("connectionTimeout", Integer.toString(CONNECTION_TIMEOUT_MILLIS));
    tomcat.getConnector().setProperty("maxSwallowSize", Integer.toString(MAX_SWALLOW_BYTES));
    // Each connection keeps a read and a write buffer for its whole life (8 KiB each by default):
    // most of a quiet WebSocket client's heap. 4 KiB still holds any frame of a normal chunk.
    tomcat
        .getConnector()
        .setProperty("socket.appReadBufSize", Integer.toString(SOCKET_BUFFER_BYTES));
    tomcat
        .getConnector()
        .setProperty("socket.appWriteBufSize", Integer.toString(SOCKET_BUFFER_BYTES));
    tomcat.setAddDefaultWebXmlToWebapp(false);
    quietErrorPages((StandardHost) tomcat.getHost());
    Context context = tomcat.addWebapp("", extractWar(dataDir).toString());
    addDefaultServlet(context);
    // Initialising binds the port. Tomcat logs a bind failure and carries on without a listener,
    // so the run would claim to be serving: stop here instead, naming the port.
    tomcat.init();
    if (tomcat.getConnector().getState() != LifecycleState.INITIALIZED) {
      System.err.println(
          "chunk-relay: cannot listen on "
              + config.httpAddress()
              + " port "
              + config.httpPort()
              + " (is another program using it?); set CHUNK_RELAY_HTTP_PORT to another port.");
      System.exit(1);
    }
    tomcat.start();
    started.push(
        () -> {
          tomcat.stop();
          tomcat.destroy();
        });
    if (context.getState() != LifecycleState.STARTED) {
      System.err.println(
          "chunk-relay: the web application failed to start; the log above says why.");
      System.exit(1);
    }
    String base = "http://localhost:" + config.httpPort();
    boolean everywhere =
        config.httpAddress().equals(RelayConfig.ALL_INTERFACES)
            || config.httpAddress().equals("::");
    System.out.println();
    System.out.println("Chunk Relay node " + config.nodeId() + " is running");
    System.out.println(
        "  listening: "
            + (everywhere
                ? "port " + config.httpPort() + " on every interface"
                : config.httpAddress()
                    + " port "
                    + config.httpPort()
                    + " only"
                    + (config.auth().mode() == AuthSettings.Mode.NONE
                        ? " (no tokens are asked for; CHUNK_RELAY_HTTP_ADDRESS=0.0.0.0 serves"
                            + " other machines)"
                        : "")));
    System.out.println(
        "  auth:      "
            + (config.auth().mode() == AuthSettings.Mode.NONE
                ? "none: anyone who reaches this port may read and write every stream"
                    + " (CHUNK_RELAY_AUTH=jwt requires tokens)"
                : config.auth().toString().substring("auth ".length())));
    System.out.println("  database:  " + database);
    System.out.println("  redis:     " + redis);
    System.out.println(
        "  open:      "
            + base
            + "/"
            + (config.demo().enabled() ? "   (the demo chat)" : "   (demo producer off)"));
    System.out.println("  append:    curl -X POST " + base + "/api/streams/s1/chunks \\");
    System.out.println(
        "               -H 'Content-Type: application/json'"
            + " -d '{\"messageId\":\"m1\",\"content\":\"hi\"}'");
    System.out.println("  read:      curl '" + base + "/api/streams/s1/chunks?after=0'");
    System.out.println(
        "  subscribe: ws://localhost:" + config.httpPort() + "/ws/streams/s1?after=0");
    System.out.println("  health:    " + base + "/health");
    System.out.println("Stop with Ctrl+C.");
    tomcat.getServer().await();
  }

  private String resolveDatabase(Path dataDir) throws IOException, SQLException {
    if (settings.get("CHUNK_RELAY_DB_URL").isPresent()) {
      return "configured " + settings.get("CHUNK_RELAY_DB_URL").get();
    }
    if (settings.get("CHUNK_RELAY_DB_DATASOURCE").isPresent()) {
      return "configured DataSource " + settings.get("CHUNK_RELAY_DB_DATASOURCE").get();
    }
    String user = settings.get("CHUNK_RELAY_DB_USER").orElse("postgres");
    Optional<LocalServices.Postgres> local = Optional.empty();
    try {
      local = LocalServices.localPostgres(DATABASE_NAME, user);
    } catch (SQLException e) {
      System.out.println(
          "chunk-relay: a PostgreSQL answers on 127.0.0.1:5432 but refused user '"
              + user
              + "' ("
              + e.getMessage()
              + "); using an embedded PostgreSQL instead. Set CHUNK_RELAY_DB_URL to use that"
              + " server.");
    }
    LocalServices.Postgres postgres =
        local.isPresent()
            ? local.get()
            : LocalServices.embeddedPostgres(dataDir.resolve("postgres"), DATABASE_NAME);
    started.push(postgres.stop());
    // What a DBA prepares once; the node then migrates as the owner and serves as the runtime role.
    LocalServices.ownDatabase(postgres, DATABASE_NAME);
    System.setProperty("CHUNK_RELAY_DB_URL", postgres.jdbcUrl());
    System.setProperty("CHUNK_RELAY_DB_USER", LocalServices.RUNTIME_ROLE);
    System.setProperty("CHUNK_RELAY_DB_PASSWORD", postgres.password());
    System.setProperty("CHUNK_RELAY_DB_MIGRATE_USER", LocalServices.OWNER_ROLE);
    System.setProperty("CHUNK_RELAY_DB_MIGRATE_PASSWORD", postgres.password());
    if (settings.get("CHUNK_RELAY_DB_MIGRATE").isEmpty()) {
      System.setProperty("CHUNK_RELAY_DB_MIGRATE", "true");
    }
    return postgres.description()
        + ", as "
        + LocalServices.RUNTIME_ROLE
        + " (migrated as "
        + LocalServices.OWNER_ROLE
        + ")";
  }

  private String resolveRedis() throws IOException {
    Optional<String> configured = settings.get("CHUNK_RELAY_REDIS_URL");
    if (configured.isPresent()) {
      return "configured " + configured.get();
    }
    LocalServices.Redis redis =
        LocalServices.localRedis().isPresent()
            ? LocalServices.localRedis().get()
            : LocalServices.embeddedRedis();
    started.push(redis.stop());
    System.setProperty("CHUNK_RELAY_REDIS_URL", redis.url());
    return redis.description();
  }

  /** Copies the WAR packed inside this jar next to the data, where Tomcat can expand it. */
  /** {@link #MAX_CONNECTIONS}, or fewer where the process may open fewer files. */
  static int maxConnections() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long files = unix.getMaxFileDescriptorCount();
      return (int) Math.max(FILES_KEPT_FREE, Math.min(MAX_CONNECTIONS, files - FILES_KEPT_FREE));
    }
    return MAX_CONNECTIONS;
  }

  private static Path extractWar(Path dataDir) throws IOException {
    Path war = dataDir.resolve("chunk-relay.war").toAbsolutePath();
    Files.createDirectories(dataDir);
    try (InputStream packed = Launcher.class.getResourceAsStream("/chunk-relay.war")) {
      if (packed == null) {
        throw new IOException("chunk-relay.war is missing from this jar; rebuild with mvn package");
      }
      Files.copy(packed, war, StandardCopyOption.REPLACE_EXISTING);
    }
    // A stale expansion of an older WAR must not be served.
    Path appBase = dataDir.resolve("tomcat").resolve("webapps");
    Files.createDirectories(appBase);
    Path expanded = appBase.resolve("ROOT");
    if (Files.exists(expanded)) {
      try (var paths = Files.walk(expanded)) {
        for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
    return war;
  }

  /**
   * The static-file servlet a full Tomcat's conf/web.xml provides (left out here because that file
   * also brings a JSP servlet this Tomcat lacks). Without it nothing is mapped to "/", so neither
   * the landing page nor Tyrus's WebSocket filter, which needs a mapped request, would ever run.
   */
  private static void addDefaultServlet(Context context) {
    Wrapper servlet = context.createWrapper();
    servlet.setName("default");
    servlet.setServletClass(DefaultServlet.class.getName());
    servlet.addInitParameter("listings", "false");
    servlet.setLoadOnStartup(1);
    context.addChild(servlet);
    context.addServletMappingDecoded("/", "default");
    context.addWelcomeFile("index.html");
    Tomcat.addDefaultMimeTypeMappings(context);
  }

  /** Error pages without stack traces or server versions. */
  private static void quietErrorPages(StandardHost host) {
    // Named as the host's error valve, so the host does not add Tomcat's own next to it.
    host.setErrorReportValveClass(ProblemReportValve.class.getName());
    host.getPipeline().addValve(new ProblemReportValve());
  }

  private void stopServices() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        System.err.println("chunk-relay: stopping a service failed: " + e);
      }
    }
    LoggingUntilStopped.stopped();
  }
}
