package io.chunkrelay.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Keeps a badly configured node from starting.
 *
 * <p>Every tunable of a Chunk Relay node, read once at start-up and validated as a whole.
 *
 * <p>Essentials: the HTTP port of the embedded run, the PostgreSQL connection (a JDBC URL with user
 * and password, or the JNDI name of a container-managed DataSource), the Redis URL and the node id.
 * The rest are limits with safe defaults; each name carries its unit.
 *
 * @param httpPort port of the embedded run ({@code CHUNK_RELAY_HTTP_PORT})
 * @param httpAddress address the embedded run listens on ({@code CHUNK_RELAY_HTTP_ADDRESS}): the
 *     loopback address while the demo chat runs or no token is required, every interface otherwise
 * @param nodeId this node's name in logs and metrics ({@code CHUNK_RELAY_NODE_ID})
 * @param database how to reach PostgreSQL
 * @param redis how to reach Redis and name its channels
 * @param limits sizes the API enforces
 * @param delivery timing and bounds of WebSocket delivery
 * @param outboxRelayAfterMillis how long committed chunks may stay unpublished before the outbox
 *     relay publishes them ({@code CHUNK_RELAY_OUTBOX_RELAY_AFTER_MILLIS})
 * @param demo the demo chat's simulated AI producer (on in the embedded run, off in a WAR)
 * @param group how appends are grouped into shared transactions
 * @param auth who may read and write which streams
 * @param guard how much one caller may ask of the node
 * @param hosts which {@code Host} names the node answers to
 * @param retention how long the log keeps chunks, keys and producers' state
 */
public record RelayConfig(
    int httpPort,
    String httpAddress,
    String nodeId,
    DatabaseSettings database,
    RedisSettings redis,
    Limits limits,
    DeliverySettings delivery,
    long outboxRelayAfterMillis,
    DemoSettings demo,
    GroupSettings group,
    AuthSettings auth,
    GuardSettings guard,
    ServedHosts hosts,
    RetentionSettings retention) {

  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final String LOOPBACK_ADDRESS = "127.0.0.1";
  public static final String ALL_INTERFACES = "0.0.0.0";
  public static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
  public static final int DEFAULT_DB_POOL_SIZE = 10;
  public static final long DEFAULT_DB_CONNECT_TIMEOUT_MILLIS = 5_000;
  public static final long DEFAULT_DB_SOCKET_TIMEOUT_MILLIS = 15_000;
  public static final int DEFAULT_REDIS_TIMEOUT_MILLIS = 1_000;
  public static final String DEFAULT_REDIS_CHANNEL_PREFIX = "chunk-relay:";
  public static final long DEFAULT_OUTBOX_RELAY_AFTER_MILLIS = 1_000;

  /**
   * How long the log keeps what (docs/DBA.md, "Retention"): every node runs the database's {@code
   * maintain_log()} at start-up and then every {@code intervalMinutes}, one at a time.
   *
   * @param retentionDays days a stream's chunks are kept after the day it was created ({@code
   *     CHUNK_RELAY_RETENTION}); {@code null}: forever (the default)
   * @param keyTtlDays days idempotency keys and idle producers' state are kept ({@code
   *     CHUNK_RELAY_KEY_TTL}, default 7, at most the retention)
   * @param intervalMinutes how often a node runs it ({@code
   *     CHUNK_RELAY_RETENTION_INTERVAL_MINUTES})
   */
  public record RetentionSettings(Integer retentionDays, int keyTtlDays, int intervalMinutes) {
    public static final int DEFAULT_KEY_TTL_DAYS = 7;
    public static final int DEFAULT_INTERVAL_MINUTES = 60;

    static RetentionSettings read(SettingReader in) {
      Integer retention = in.days("CHUNK_RELAY_RETENTION", null, true, 1, 365_000);
      int keyTtl =
          in.days(
              "CHUNK_RELAY_KEY_TTL",
              retention == null ? DEFAULT_KEY_TTL_DAYS : Math.min(DEFAULT_KEY_TTL_DAYS, retention),
              false,
              1,
              365_000);
      if (retention != null && keyTtl > retention) {
        throw new ConfigException(
            "CHUNK_RELAY_KEY_TTL ("
                + keyTtl
                + " days) must not be longer than CHUNK_RELAY_RETENTION ("
                + retention
                + " days): a key would outlive the chunks it answers with");
      }
      return new RetentionSettings(
          retention,
          keyTtl,
          in.integer(
              "CHUNK_RELAY_RETENTION_INTERVAL_MINUTES", DEFAULT_INTERVAL_MINUTES, 1, 24 * 60));
    }
  }

  /**
   * @param pollMillis how often the node looks for quiet streams, and how often it reads a stream's
   *     head while Redis is unavailable ({@code CHUNK_RELAY_DELIVERY_POLL_MILLIS})
   * @param idleCheckMillis how long an open stream may be silent before the node reads its head
   *     (once per stream, not per connection) and its connections behind it read the log, to catch
   *     a lost last publish ({@code CHUNK_RELAY_IDLE_CHECK_MILLIS})
   * @param maxQueuedFrames bound of one connection's outbound queue, in frames ({@code
   *     CHUNK_RELAY_MAX_QUEUED_FRAMES})
   * @param maxQueuedBytes bound of one connection's outbound queue, in bytes ({@code
   *     CHUNK_RELAY_MAX_QUEUED_BYTES})
   */
  public record DeliverySettings(
      long pollMillis, long idleCheckMillis, int maxQueuedFrames, long maxQueuedBytes) {
    public static final long DEFAULT_POLL_MILLIS = 250;
    public static final long DEFAULT_IDLE_CHECK_MILLIS = 2_000;
    public static final int DEFAULT_MAX_QUEUED_FRAMES = 1_000;
    public static final int DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
  }

  /**
   * Group commit: concurrent appends are written in one transaction, whatever is pending when the
   * previous one ends.
   *
   * @param maxAppends most appends in one transaction ({@code CHUNK_RELAY_GROUP_MAX_APPENDS})
   * @param maxChunks most chunks in one transaction; a single larger batch still goes alone ({@code
   *     CHUNK_RELAY_GROUP_MAX_CHUNKS})
   * @param lingerMicros how long a short group waits for more appends before it commits; 0 commits
   *     at once ({@code CHUNK_RELAY_GROUP_LINGER_MICROS})
   */
  public record GroupSettings(int maxAppends, int maxChunks, long lingerMicros) {
    public static final int DEFAULT_MAX_APPENDS = 1_000;
    public static final int DEFAULT_MAX_CHUNKS = 20_000;
    public static final long DEFAULT_LINGER_MICROS = 0;
  }

  /**
   * The demo: a simulated AI producer that answers a prompt typed on the demo page by POSTing its
   * reply word by word to the node's own API, as a real producer would.
   *
   * @param enabled whether {@code /demo/replies} exists ({@code CHUNK_RELAY_DEMO}; the embedded run
   *     sets it unless told otherwise, a deployed WAR leaves it off)
   * @param meanWordMillis mean pause between two words of a reply ({@code
   *     CHUNK_RELAY_DEMO_WORD_MILLIS})
   * @param maxActiveReplies most replies being written at once; more prompts are refused with 429
   *     ({@code CHUNK_RELAY_DEMO_MAX_REPLIES})
   */
  public record DemoSettings(boolean enabled, int meanWordMillis, int maxActiveReplies) {
    public static final int DEFAULT_MEAN_WORD_MILLIS = 60;
    public static final int DEFAULT_MAX_ACTIVE_REPLIES = 20;
  }

  /**
   * How to reach PostgreSQL: either {@code dataSourceJndiName} (a container DataSource) or a JDBC
   * URL with credentials for the node's own HikariCP pool.
   *
   * @param jdbcUrl {@code CHUNK_RELAY_DB_URL}
   * @param user {@code CHUNK_RELAY_DB_USER}
   * @param password {@code CHUNK_RELAY_DB_PASSWORD}
   * @param dataSourceJndiName {@code CHUNK_RELAY_DB_DATASOURCE}, e.g. {@code
   *     java:comp/env/jdbc/chunkrelay}
   * @param poolSize maximum pool connections ({@code CHUNK_RELAY_DB_POOL_SIZE})
   * @param connectTimeoutMillis how long a request waits for a connection before failing with 503
   *     ({@code CHUNK_RELAY_DB_CONNECT_TIMEOUT_MILLIS})
   * @param socketTimeoutMillis how long the node waits for PostgreSQL to answer on an open
   *     connection before giving it up, so a stalled network fails fast instead of hanging ({@code
   *     CHUNK_RELAY_DB_SOCKET_TIMEOUT_MILLIS})
   * @param migrateOnStart whether the node migrates the schema before it serves ({@code
   *     CHUNK_RELAY_DB_MIGRATE}, default false: migration is its own step, {@code java -jar
   *     chunk-relay.jar migrate}, run as the schema's owner); when false the node only checks that
   *     the schema is at its version
   * @param migrateUser the owner role the start-up migration logs in as ({@code
   *     CHUNK_RELAY_DB_MIGRATE_USER}), over {@code CHUNK_RELAY_DB_URL}; when absent it migrates
   *     over the node's own connections
   * @param migratePassword its password ({@code CHUNK_RELAY_DB_MIGRATE_PASSWORD})
   */
  public record DatabaseSettings(
      Optional<String> jdbcUrl,
      Optional<String> user,
      Optional<String> password,
      Optional<String> dataSourceJndiName,
      int poolSize,
      long connectTimeoutMillis,
      long socketTimeoutMillis,
      boolean migrateOnStart,
      Optional<String> migrateUser,
      Optional<String> migratePassword) {

    @Override
    public String toString() {
      // Never print the password.
      return dataSourceJndiName
          .map(name -> "DataSource " + name)
          .orElseGet(() -> jdbcUrl.orElse("?") + " as " + user.orElse("(driver default user)"));
    }
  }

  /**
   * @param maxChunkBytes largest chunk content, in UTF-8 bytes ({@code
   *     CHUNK_RELAY_MAX_CHUNK_BYTES})
   * @param maxBatchChunks most chunks in one batch append ({@code CHUNK_RELAY_MAX_BATCH_CHUNKS})
   * @param maxRequestBytes largest request body ({@code CHUNK_RELAY_MAX_REQUEST_BYTES})
   * @param maxPageChunks most chunks one list request returns ({@code CHUNK_RELAY_MAX_PAGE_CHUNKS})
   * @param maxPageBytes most content bytes one list request returns, though always at least one
   *     chunk ({@code CHUNK_RELAY_MAX_PAGE_BYTES})
   * @param maxStreamIdChars longest stream id, at most 128 ({@code
   *     CHUNK_RELAY_MAX_STREAM_ID_CHARS})
   */
  public record Limits(
      int maxChunkBytes,
      int maxBatchChunks,
      int maxRequestBytes,
      int maxPageChunks,
      int maxPageBytes,
      int maxStreamIdChars) {

    public static final int DEFAULT_MAX_CHUNK_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_BATCH_CHUNKS = 500;
    public static final int DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_PAGE_CHUNKS = 1_000;
    public static final int DEFAULT_MAX_PAGE_BYTES = 1024 * 1024;
    public static final int STREAM_ID_GRAMMAR_MAX_CHARS = 128;
    public static final int DEFAULT_PAGE_CHUNKS = 100;
    public static final int MESSAGE_ID_MAX_CHARS = 128;
    public static final int IDEMPOTENCY_KEY_MAX_CHARS = 255;

    public static Limits defaults() {
      return new Limits(
          DEFAULT_MAX_CHUNK_BYTES,
          DEFAULT_MAX_BATCH_CHUNKS,
          DEFAULT_MAX_REQUEST_BYTES,
          DEFAULT_MAX_PAGE_CHUNKS,
          DEFAULT_MAX_PAGE_BYTES,
          STREAM_ID_GRAMMAR_MAX_CHARS);
    }
  }

  /** Reads and validates every setting; throws {@link ConfigException} naming the first bad one. */
  public static RelayConfig load(SettingSource source) {
    SettingReader in = new SettingReader(source);
    int httpPort = in.integer("CHUNK_RELAY_HTTP_PORT", DEFAULT_HTTP_PORT, 1, 65_535);
    DatabaseSettings database =
        new DatabaseSettings(
            in.optional("CHUNK_RELAY_DB_URL"),
            in.optional("CHUNK_RELAY_DB_USER"),
            in.optional("CHUNK_RELAY_DB_PASSWORD"),
            in.optional("CHUNK_RELAY_DB_DATASOURCE"),
            in.integer("CHUNK_RELAY_DB_POOL_SIZE", DEFAULT_DB_POOL_SIZE, 1, 1_000),
            in.integer(
                "CHUNK_RELAY_DB_CONNECT_TIMEOUT_MILLIS",
                (int) DEFAULT_DB_CONNECT_TIMEOUT_MILLIS,
                250,
                600_000),
            in.integer(
                "CHUNK_RELAY_DB_SOCKET_TIMEOUT_MILLIS",
                (int) DEFAULT_DB_SOCKET_TIMEOUT_MILLIS,
                1_000,
                3_600_000),
            in.bool("CHUNK_RELAY_DB_MIGRATE", false),
            in.optional("CHUNK_RELAY_DB_MIGRATE_USER"),
            in.optional("CHUNK_RELAY_DB_MIGRATE_PASSWORD"));
    if (database.migrateUser().isPresent() && database.jdbcUrl().isEmpty()) {
      throw new ConfigException(
          "CHUNK_RELAY_DB_MIGRATE_USER needs CHUNK_RELAY_DB_URL: the start-up migration logs in"
              + " over that URL (with a container DataSource alone, it migrates over the"
              + " DataSource)");
    }
    if (database.jdbcUrl().isEmpty() && database.dataSourceJndiName().isEmpty()) {
      throw new ConfigException(
          "CHUNK_RELAY_DB_URL is not set: give a JDBC URL such as"
              + " jdbc:postgresql://127.0.0.1:5432/chunkrelay, or set CHUNK_RELAY_DB_DATASOURCE to the"
              + " JNDI name of a container DataSource");
    }
    database
        .jdbcUrl()
        .filter(url -> !url.startsWith("jdbc:postgresql:"))
        .ifPresent(
            url -> {
              throw new ConfigException(
                  "CHUNK_RELAY_DB_URL must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db),"
                      + " got '"
                      + url
                      + "'");
            });
    AuthSettings auth = AuthSettings.read(in);
    RedisSettings redis = RedisSettings.read(in, auth);
    Limits limits =
        new Limits(
            in.integer(
                "CHUNK_RELAY_MAX_CHUNK_BYTES", Limits.DEFAULT_MAX_CHUNK_BYTES, 1, 16 * 1024 * 1024),
            in.integer("CHUNK_RELAY_MAX_BATCH_CHUNKS", Limits.DEFAULT_MAX_BATCH_CHUNKS, 1, 10_000),
            in.integer(
                "CHUNK_RELAY_MAX_REQUEST_BYTES",
                Limits.DEFAULT_MAX_REQUEST_BYTES,
                1_024,
                256 * 1024 * 1024),
            in.integer("CHUNK_RELAY_MAX_PAGE_CHUNKS", Limits.DEFAULT_MAX_PAGE_CHUNKS, 1, 10_000),
            in.integer(
                "CHUNK_RELAY_MAX_PAGE_BYTES",
                Limits.DEFAULT_MAX_PAGE_BYTES,
                1_024,
                256 * 1024 * 1024),
            in.integer(
                "CHUNK_RELAY_MAX_STREAM_ID_CHARS",
                Limits.STREAM_ID_GRAMMAR_MAX_CHARS,
                1,
                Limits.STREAM_ID_GRAMMAR_MAX_CHARS));
    DeliverySettings delivery =
        new DeliverySettings(
            in.integer(
                "CHUNK_RELAY_DELIVERY_POLL_MILLIS",
                (int) DeliverySettings.DEFAULT_POLL_MILLIS,
                10,
                60_000),
            in.integer(
                "CHUNK_RELAY_IDLE_CHECK_MILLIS",
                (int) DeliverySettings.DEFAULT_IDLE_CHECK_MILLIS,
                50,
                600_000),
            in.integer(
                "CHUNK_RELAY_MAX_QUEUED_FRAMES",
                DeliverySettings.DEFAULT_MAX_QUEUED_FRAMES,
                16,
                1_000_000),
            in.integer(
                "CHUNK_RELAY_MAX_QUEUED_BYTES",
                DeliverySettings.DEFAULT_MAX_QUEUED_BYTES,
                64 * 1024,
                1024 * 1024 * 1024));
    if (delivery.maxQueuedBytes() < limits.maxChunkBytes() * 2L) {
      throw new ConfigException(
          "CHUNK_RELAY_MAX_QUEUED_BYTES must hold at least two chunks of CHUNK_RELAY_MAX_CHUNK_BYTES ("
              + limits.maxChunkBytes() * 2L
              + "), got "
              + delivery.maxQueuedBytes());
    }
    long relayAfterMillis =
        in.integer(
            "CHUNK_RELAY_OUTBOX_RELAY_AFTER_MILLIS",
            (int) DEFAULT_OUTBOX_RELAY_AFTER_MILLIS,
            100,
            3_600_000);
    DemoSettings demo =
        new DemoSettings(
            in.bool("CHUNK_RELAY_DEMO", false),
            in.integer(
                "CHUNK_RELAY_DEMO_WORD_MILLIS", DemoSettings.DEFAULT_MEAN_WORD_MILLIS, 1, 10_000),
            in.integer(
                "CHUNK_RELAY_DEMO_MAX_REPLIES", DemoSettings.DEFAULT_MAX_ACTIVE_REPLIES, 1, 1_000));
    GroupSettings group =
        new GroupSettings(
            in.integer(
                "CHUNK_RELAY_GROUP_MAX_APPENDS", GroupSettings.DEFAULT_MAX_APPENDS, 1, 100_000),
            in.integer(
                "CHUNK_RELAY_GROUP_MAX_CHUNKS", GroupSettings.DEFAULT_MAX_CHUNKS, 1, 1_000_000),
            in.integer(
                "CHUNK_RELAY_GROUP_LINGER_MICROS",
                (int) GroupSettings.DEFAULT_LINGER_MICROS,
                0,
                1_000_000));
    // A node that asks nobody for a token serves this machine only unless told otherwise.
    boolean open = demo.enabled() || auth.mode() == AuthSettings.Mode.NONE;
    String httpAddress =
        in.ipAddress("CHUNK_RELAY_HTTP_ADDRESS", open ? LOOPBACK_ADDRESS : ALL_INTERFACES);
    String nodeId = in.optional("CHUNK_RELAY_NODE_ID").orElseGet(() -> hostName() + ":" + httpPort);
    return new RelayConfig(
        httpPort,
        httpAddress,
        nodeId,
        database,
        redis,
        limits,
        delivery,
        relayAfterMillis,
        demo,
        group,
        auth,
        GuardSettings.read(in),
        ServedHosts.read(in),
        RetentionSettings.read(in));
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
