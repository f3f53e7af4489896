package io.chunkrelay.app;

import io.chunkrelay.api.StreamsServlet;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.Database;
import io.chunkrelay.ws.StreamEndpoint;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collections;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's life: on start, read and validate the configuration, open the database (migrate,
 * validate), register the API, health and WebSocket endpoints; on stop, release them in reverse.
 */
@WebListener
public final class ChunkRelayApp implements ServletContextListener {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkRelayApp.class);
  private static final int DELIVERY_THREADS = 4;

  private Database database;
  private ScheduledThreadPoolExecutor deliveryScheduler;

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
        config.redisUrl());
    database = Database.open(config.database(), config.nodeId());
    ChunkLog log = ChunkLog.over(database.sessions(), Clock.systemUTC());

    context
        .addServlet("streams", new StreamsServlet(log, config.limits(), appended -> {}))
        .addMapping("/api/*");
    context
        .addServlet("health", new HealthServlet(database.dataSource(), config.nodeId()))
        .addMapping("/health");

    deliveryScheduler =
        new ScheduledThreadPoolExecutor(DELIVERY_THREADS, named("chunk-relay-delivery"));
    deliveryScheduler.setRemoveOnCancelPolicy(true);
    StreamEndpoint.Delivery delivery =
        new StreamEndpoint.Delivery(
            log,
            deliveryScheduler,
            config.deliveryPollMillis(),
            config.limits().maxPageChunks(),
            config.limits().maxStreamIdChars());
    ServerContainer webSockets =
        (ServerContainer) context.getAttribute(ServerContainer.class.getName());
    if (webSockets == null) {
      throw new IllegalStateException(
          "no WebSocket container in this web application: Tyrus did not start (in a full Tomcat,"
              + " META-INF/context.xml must keep containerSciFilter=\"WsSci\")");
    }
    try {
      webSockets.addEndpoint(StreamEndpoint.config(delivery));
    } catch (DeploymentException e) {
      throw new IllegalStateException("cannot register " + StreamEndpoint.PATH, e);
    }
    LOG.info("Chunk Relay node {} ready", config.nodeId());
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    if (deliveryScheduler != null) {
      deliveryScheduler.shutdownNow();
      try {
        deliveryScheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (database != null) {
      database.close();
    }
    deregisterJdbcDrivers();
    LOG.info("Chunk Relay node stopped");
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

  private static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
