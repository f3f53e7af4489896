package io.chunkrelay.app;

import io.chunkrelay.auth.Access;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.RelayConfig.DatabaseSettings;
import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.delivery.DeliveryHooks;
import io.chunkrelay.demo.DemoProducer;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.fanout.RedisFeed;
import io.chunkrelay.guard.Guard;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.outbox.OutboxPublisher;
import io.chunkrelay.outbox.OutboxRelay;
import io.chunkrelay.outbox.Watermarks;
import io.chunkrelay.store.AuditLog;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.ClusterKeys;
import io.chunkrelay.store.Database;
import io.chunkrelay.store.GroupLimits;
import io.chunkrelay.store.Outbox;
import io.chunkrelay.store.PoolSettings;
import io.chunkrelay.store.Retention;
import io.chunkrelay.store.Schema;
import io.chunkrelay.threads.OwnThreads;
import io.chunkrelay.wire.FanoutSeal;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node whole or not at all: wires its parts once from a validated {@link RelayConfig} (the
 * database, migrated and validated; the Redis publisher and subscriber; the outbox relay; delivery;
 * the demo assistant) and stops them in reverse order. A part that fails to start stops the ones
 * already started and fails the node. The container edge ({@code io.chunkrelay.web}) serves what it
 * holds.
 */
public final class Node implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);
  private static final int HEALTH_TIMEOUT_SECONDS = 2;
  private static final int PUBLISH_QUEUE_GROUPS = 1_024;

  /** How long a stopping node waits for its threads to end. */
  private static final Duration THREADS_STOP = Duration.ofSeconds(3);

  private static final long APPEND_ANSWER_MARGIN_MILLIS = 5_000;

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final OwnThreads threads = new OwnThreads();
  private final RelayConfig config;
  private final Metrics metrics = new Metrics();
  private Database database;
  private RedisFeed feed;
  private ChunkLog log;
  private AuditLog audit;
  private Delivery delivery;
  private Access access;
  private Guard guard;
  private ScheduledExecutorService deadlines;
  private DemoProducer demo;

  private Node(RelayConfig config) {
    this.config = config;
  }

  /** Starts every part of a node; on failure stops what started and rethrows. */
  public static Node start(RelayConfig config) {
    Node node = new Node(config);
    try {
      node.startParts();
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  private void startParts() {
    // First: a node that cannot check tokens must not open its database to anyone.
    access = Access.of(config.auth(), Clock.systemUTC());
    if (!access.required()) {
      LOG.warn(
          "CHUNK_RELAY_AUTH=none: anyone who reaches this node may read and write every stream");
    }
    ScheduledThreadPoolExecutor expiry =
        new ScheduledThreadPoolExecutor(1, threads.named("chunk-relay-deadlines"));
    // A connection that closes before its token expires takes its deadline with it.
    expiry.setRemoveOnCancelPolicy(true);
    remember(expiry::shutdownNow);
    deadlines = expiry;
    guard = Guard.of(config.guard(), metrics);
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      metrics.gauge(
          "chunk_relay_process_cpu_millis",
          "CPU time this node's JVM has used, milliseconds",
          () -> os.getProcessCpuTime() / 1_000_000);
    }
    metrics.gauge(
        "chunk_relay_heap_used_bytes",
        "JVM heap in use, bytes, garbage not yet collected included",
        () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    database = remember(open(config.database(), config.nodeId()));
    audit = AuditLog.over(database);
    retention();
    FanoutSeal seal = fanoutSeal();
    Publisher publisher = remember(new Publisher(config.redis(), seal, config.nodeId(), metrics));
    Outbox outbox = Outbox.over(database);
    Watermarks watermarks = new Watermarks(outbox);
    log =
        remember(
            ChunkLog.over(
                database,
                Clock.systemUTC(),
                new OutboxPublisher(publisher, watermarks),
                new GroupLimits(
                    config.group().maxAppends(),
                    config.group().maxChunks(),
                    config.group().lingerMicros(),
                    appendMaxWaitMillis()),
                publishing(),
                metrics));

    feed =
        remember(
            new RedisFeed(
                config.redis(),
                seal,
                config.nodeId(),
                timer("chunk-relay-redis-watchdog"),
                metrics));
    feed.start();

    remember(
            new OutboxRelay(
                outbox,
                log,
                publisher,
                watermarks,
                Clock.systemUTC(),
                config.outboxRelayAfterMillis(),
                timer("chunk-relay-outbox"),
                config.nodeId(),
                metrics))
        .start();

    DeliveryHooks hooks = DeliveryHooks.load(Node.class.getClassLoader());
    if (hooks != DeliveryHooks.NONE) {
      LOG.warn(
          "delivery hooks {} are installed: this WAR is a test build", hooks.getClass().getName());
    }
    delivery =
        remember(
            new Delivery(
                log, feed, config.delivery(), config.limits().maxPageChunks(), hooks, metrics));

    if (config.demo().enabled()) {
      demo =
          remember(
              new DemoProducer(
                  config.demo(),
                  scheduled("chunk-relay-demo", 4),
                  pool("chunk-relay-demo-http"),
                  RandomGenerator.getDefault(),
                  DemoProducer.tokens(access)));
      metrics.gauge(
          "chunk_relay_demo_active_replies", "demo replies being written now", demo::active);
      metrics.gauge("chunk_relay_demo_replies_started", "demo replies started", demo::started);
      LOG.info("demo mode: POST /demo/replies starts simulated replies");
    }
  }

  /**
   * Runs retention now (creating today's partitions before the first append) and then on a
   * schedule. A policy the database refuses stops the start, naming the setting.
   */
  private void retention() {
    RelayConfig.RetentionSettings settings = config.retention();
    try {
      Retention.over(
              database,
              new Retention.Policy(
                  settings.retentionDays(), settings.keyTtlDays(), settings.intervalMinutes()))
          .start(timer("chunk-relay-retention"));
    } catch (Retention.PolicyRefused refused) {
      throw new ConfigException(
          "CHUNK_RELAY_RETENTION (or CHUNK_RELAY_KEY_TTL) was refused by the database: "
              + refused.getMessage());
    }
  }

  /**
   * The seal of every fan-out message: the configured cluster key, else the one this deployment's
   * nodes share in PostgreSQL (a node that cannot get it does not start: it never runs unsealed).
   */
  private FanoutSeal fanoutSeal() {
    Optional<String> configured = config.redis().fanoutKey();
    if (configured.isPresent()) {
      return FanoutSeal.of(configured.get());
    }
    LOG.info(
        "fan-out messages are sealed with the key this deployment's nodes share in PostgreSQL"
            + " (cluster_keys); set CHUNK_RELAY_FANOUT_KEY to choose one");
    return FanoutSeal.of(ClusterKeys.fanout(database));
  }

  /**
   * The one thread that publishes committed groups, in commit order, off the committer's path; a
   * bounded queue, so a stalled Redis holds no memory (the relay publishes what was dropped).
   */
  private ExecutorService publishing() {
    ThreadPoolExecutor publisher =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(PUBLISH_QUEUE_GROUPS),
            threads.named("chunk-relay-publisher"),
            new ThreadPoolExecutor.AbortPolicy());
    remember(
        () -> {
          publisher.shutdown();
          publisher.awaitTermination(2, TimeUnit.SECONDS);
        });
    return publisher;
  }

  private static Database open(DatabaseSettings settings, String nodeId) {
    Schema.Migration migration =
        !settings.migrateOnStart()
            ? Schema.Migration.checkOnly()
            : settings
                .migrateUser()
                .map(
                    owner ->
                        Schema.Migration.as(
                            new Schema.Login(
                                settings.jdbcUrl().orElseThrow(),
                                owner,
                                settings.migratePassword())))
                .orElseGet(Schema.Migration::overOwnConnections);
    if (settings.dataSourceJndiName().isPresent()) {
      return Database.container(
          settings.dataSourceJndiName().get(), "CHUNK_RELAY_DB_DATASOURCE", migration);
    }
    return Database.pooled(
        new PoolSettings(
            settings.jdbcUrl().orElseThrow(),
            settings.user(),
            settings.password(),
            settings.poolSize(),
            settings.connectTimeoutMillis(),
            settings.socketTimeoutMillis(),
            "chunk-relay " + nodeId),
        migration);
  }

  /**
   * How long an append may wait for a group that can write it: a connection wait and one
   * statement's worth of the database's time.
   */
  private long appendMaxWaitMillis() {
    return config.database().connectTimeoutMillis() + config.database().socketTimeoutMillis();
  }

  /**
   * How long a producer's request may wait for its answer: the longest wait for a group, plus the
   * group in flight then (a commit and a retry, each bounded by the socket timeout), plus a margin.
   * The node answers before this in every case it can; this only bounds the case it cannot.
   */
  public long appendAnswerMillis() {
    return appendMaxWaitMillis()
        + 2 * config.database().socketTimeoutMillis()
        + APPEND_ANSWER_MARGIN_MILLIS;
  }

  public RelayConfig config() {
    return config;
  }

  public ChunkLog log() {
    return log;
  }

  /** The read-only audit side of the log (stream health, producers, the verifier). */
  public AuditLog audit() {
    return audit;
  }

  public Delivery delivery() {
    return delivery;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** How much one caller may ask of this node. */
  public Guard guard() {
    return guard;
  }

  /** Who may do what on this node. */
  public Access access() {
    return access;
  }

  /**
   * The container edge's deadlines: subscriptions whose token expires, request bodies that do not
   * arrive in time. Cancelled deadlines are removed at once.
   */
  public ScheduledExecutorService deadlines() {
    return deadlines;
  }

  /** The demo assistant, present in demo mode only. */
  public Optional<DemoProducer> demo() {
    return Optional.ofNullable(demo);
  }

  /** Whether PostgreSQL answers within two seconds: what decides the node's health. */
  public boolean databaseUp() {
    return database.isReachable(HEALTH_TIMEOUT_SECONDS);
  }

  /** Whether the Redis subscriber is connected (reported; delivery goes on without it). */
  public boolean redisUp() {
    return feed.isUp();
  }

  /**
   * Stops what started, newest first, each even if another fails; then waits, up to three seconds,
   * until the node's threads have ended, so a container that undeploys the application finds none
   * of them still running (they would pin its class loader).
   */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        LOG.warn("stopping a part of the node failed", e);
      }
    }
    if (!threads.awaitEnd(THREADS_STOP)) {
      LOG.warn(
          "{} threads of the node did not end within {} of the stop",
          threads.remembered(),
          THREADS_STOP);
    }
  }

  /** A single daemon thread for periodic work, stopped with the node. */
  private ScheduledExecutorService timer(String threadName) {
    return scheduled(threadName, 1);
  }

  /**
   * Daemon threads made as work comes (and ended after a minute without), stopped with the node.
   */
  private ExecutorService pool(String threadPrefix) {
    ExecutorService pool = Executors.newCachedThreadPool(threads.numbered(threadPrefix));
    remember(pool::shutdownNow);
    return pool;
  }

  /** Daemon threads for scheduled work, stopped with the node. */
  private ScheduledExecutorService scheduled(String threadName, int count) {
    ScheduledExecutorService timer =
        Executors.newScheduledThreadPool(count, threads.named(threadName));
    remember(timer::shutdownNow);
    return timer;
  }

  private <T extends AutoCloseable> T remember(T part) {
    started.push(part);
    return part;
  }
}
