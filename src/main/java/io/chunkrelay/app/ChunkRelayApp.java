package io.chunkrelay.app;

import io.chunkrelay.api.StreamsServlet;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.delivery.DeliveryHooks;
import io.chunkrelay.demo.DemoProducer;
import io.chunkrelay.demo.DemoServlet;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.fanout.RedisFeed;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.outbox.OutboxPublisher;
import io.chunkrelay.outbox.OutboxRelay;
import io.chunkrelay.outbox.Watermarks;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.Database;
import io.chunkrelay.ws.StreamEndpoint;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.lang.management.ManagementFactory;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's life: on start, read and validate the configuration, open the database (migrate,
 * validate), connect the Redis publisher and subscriber, start delivery, and register the API,
 * health, metrics and WebSocket endpoints; on stop, release them in reverse order.
 */
@WebListener
public final class ChunkRelayApp implements ServletContextListener {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkRelayApp.class);

  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  @Override
  public void contextInitialized(ServletContextEvent event) {
    ServletContext context = event.getServletContext();
    RelayConfig config;
    try {
      config = RelayConfig.load(SettingSource.standard());
    } catch (ConfigException e) {
      LOG.error("Chunk Relay cannot start: {}", e.getMessage());
      throw e;
    }
    LOG.info(
        "Chunk Relay node {} starting: database {}, redis {}",
        config.nodeId(),
        config.database(),
        config.redis().url());
    try {
      start(context, config);
    } catch (RuntimeException e) {
      stopAll();
      throw e;
    }
    LOG.info("Chunk Relay node {} ready", config.nodeId());
  }

  private void start(ServletContext context, RelayConfig config) {
    Metrics metrics = new Metrics();
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      metrics.gauge(
          "chunk_relay_process_cpu_millis",
          "CPU time this node's JVM has used, milliseconds",
          () -> os.getProcessCpuTime() / 1_000_000);
    }
    Database database = remember(Database.open(config.database(), config.nodeId()));
    Publisher publisher = remember(new Publisher(config.redis(), config.nodeId(), metrics));
    Watermarks watermarks = new Watermarks(database.dataSource());
    ChunkLog log =
        ChunkLog.over(database, Clock.systemUTC(), new OutboxPublisher(publisher, watermarks));

    ScheduledExecutorService timer = timer("chunk-relay-redis-watchdog");
    RedisFeed feed = remember(new RedisFeed(config.redis(), config.nodeId(), timer, metrics));
    feed.start();

    ScheduledExecutorService outboxTimer = timer("chunk-relay-outbox");
    OutboxRelay relay =
        remember(
            new OutboxRelay(
                database.dataSource(),
                log,
                publisher,
                watermarks,
                Clock.systemUTC(),
                config.outboxRelayAfterMillis(),
                outboxTimer,
                config.nodeId(),
                metrics));
    relay.start();

    DeliveryHooks hooks = DeliveryHooks.load(ChunkRelayApp.class.getClassLoader());
    if (hooks != DeliveryHooks.NONE) {
      LOG.warn(
          "delivery hooks {} are installed: this WAR is a test build", hooks.getClass().getName());
    }
    Delivery delivery =
        remember(
            new Delivery(
                log, feed, config.delivery(), config.limits().maxPageChunks(), hooks, metrics));

    context.addServlet("streams", new StreamsServlet(log, config.limits())).addMapping("/api/*");
    context
        .addServlet("health", new HealthServlet(database.dataSource(), feed, config.nodeId()))
        .addMapping("/health");
    context.addServlet("metrics", new MetricsServlet(metrics)).addMapping("/metrics");
    if (config.demo().enabled()) {
      DemoProducer demo =
          remember(
              new DemoProducer(
                  config.demo(), threads("chunk-relay-demo", 4), RandomGenerator.getDefault()));
      context.addServlet("demo", DemoServlet.enabled(demo)).addMapping("/demo/*");
      metrics.gauge(
          "chunk_relay_demo_active_replies", "demo replies being written now", demo::active);
      metrics.gauge("chunk_relay_demo_replies_started", "demo replies started", demo::started);
      LOG.info("demo mode: POST /demo/replies starts simulated replies");
    } else {
      context.addServlet("demo", DemoServlet.disabled()).addMapping("/demo/*");
    }

    ServerContainer webSockets =
        (ServerContainer) context.getAttribute(ServerContainer.class.getName());
    if (webSockets == null) {
      throw new IllegalStateException(
          "no WebSocket container in this web application: Tyrus did not start (in a full Tomcat,"
              + " META-INF/context.xml must keep containerSciFilter=\"WsSci\")");
    }
    try {
      webSockets.addEndpoint(
          StreamEndpoint.config(log, delivery, config.limits().maxStreamIdChars()));
    } catch (DeploymentException e) {
      throw new IllegalStateException("cannot register " + StreamEndpoint.PATH, e);
    }
    context.setAttribute(
        RelayNode.ATTRIBUTE, new RelayNode(config.nodeId(), log, feed, delivery, metrics));
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    stopAll();
    deregisterJdbcDrivers();
    LOG.info("Chunk Relay node stopped");
  }

  /** A single daemon thread for periodic work, stopped with the node. */
  private ScheduledExecutorService timer(String threadName) {
    return threads(threadName, 1);
  }

  /** Daemon threads for scheduled work, stopped with the node. */
  private ScheduledExecutorService threads(String threadName, int count) {
    ScheduledExecutorService timer =
        Executors.newScheduledThreadPool(
            count,
            runnable -> {
              Thread thread = new Thread(runnable, threadName);
              thread.setDaemon(true);
              return thread;
            });
    remember(timer::shutdownNow);
    return timer;
  }

  private <T extends AutoCloseable> T remember(T part) {
    started.push(part);
    return part;
  }

  /** Stops what started, newest first, each even if another fails. */
  private void stopAll() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        LOG.warn("stopping a part of the node failed", e);
      }
    }
  }

  /** Drivers this web application registered would otherwise pin its class loader. */
  private static void deregisterJdbcDrivers() {
    ClassLoader own = ChunkRelayApp.class.getClassLoader();
    for (Driver driver : Collections.list(DriverManager.getDrivers())) {
      if (driver.getClass().getClassLoader() == own) {
        try {
          DriverManager.deregisterDriver(driver);
        } catch (SQLException e) {
          LOG.warn("could not deregister JDBC driver {}: {}", driver, e.toString());
        }
      }
    }
  }
}
