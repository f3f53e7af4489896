package io.chunkrelay.web;

import io.chunkrelay.app.Node;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.web.api.AuditServlet;
import io.chunkrelay.web.api.StreamsServlet;
import io.chunkrelay.web.demo.DemoServlet;
import io.chunkrelay.web.edge.AccessFilter;
import io.chunkrelay.web.edge.ClientScriptCors;
import io.chunkrelay.web.edge.FramingCheck;
import io.chunkrelay.web.edge.HostCheck;
import io.chunkrelay.web.edge.SecurityHeaders;
import io.chunkrelay.web.ops.HealthServlet;
import io.chunkrelay.web.ops.MetricsServlet;
import io.chunkrelay.web.socket.GoingAwayOnStop;
import io.chunkrelay.web.socket.StreamEndpoint;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.EnumSet;
import org.glassfish.tyrus.servlet.CloseDeadlines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the container's view of the node all or nothing: when the web application starts, it reads
 * and validates the configuration, starts the {@link Node}, and registers the API, demo, health and
 * metrics servlets and the WebSocket endpoint; when it stops, it stops the node. Any failure fails
 * the web application's start rather than serving half of it.
 */
@WebListener
public final class ChunkRelayListener implements ServletContextListener {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkRelayListener.class);

  /**
   * Tyrus logs every failed connection with a stack trace, a client's oversized frame included;
   * {@link StreamEndpoint#onError} logs what a failure means instead (held: JUL keeps loggers
   * weakly).
   */
  private static final java.util.logging.Logger TYRUS_ERRORS =
      java.util.logging.Logger.getLogger("org.glassfish.tyrus.core.TyrusEndpointWrapper");

  private Node node;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    RelayConfig config;
    try {
      config = RelayConfig.load(SettingSource.standard());
    } catch (ConfigException e) {
      LOG.error("Chunk Relay cannot start: {}", e.getMessage());
      throw e;
    }
    LOG.info(
        "Chunk Relay node {} starting: database {}, redis {}, serving host names {}",
        config.nodeId(),
        config.database(),
        config.redis(),
        config.hosts());
    node = Node.start(config);
    try {
      register(event.getServletContext(), node);
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
    LOG.info("Chunk Relay node {} ready", config.nodeId());
  }

  private static void register(ServletContext context, Node node) {
    RelayConfig config = node.config();
    TYRUS_ERRORS.setLevel(java.util.logging.Level.SEVERE);
    // The container roles that grant a scope on every stream, declared so a server can map them.
    context.declareRoles(
        java.util.Arrays.stream(Scope.values()).map(Scope::roleName).toArray(String[]::new));
    FilterRegistration.Dynamic headers =
        context.addFilter("security-headers", new SecurityHeaders());
    headers.setAsyncSupported(true);
    headers.addMappingForUrlPatterns(
        EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR), false, "/*");
    FilterRegistration.Dynamic hosts = context.addFilter("hosts", new HostCheck(config.hosts()));
    hosts.setAsyncSupported(true);
    hosts.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
    FilterRegistration.Dynamic framing = context.addFilter("framing", new FramingCheck());
    framing.setAsyncSupported(true);
    framing.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
    // Before Tyrus's upgrade filter (mapped "after"): a refused handshake never becomes a socket.
    FilterRegistration.Dynamic door =
        context.addFilter("access", new AccessFilter(node.access(), node.guard()));
    door.setAsyncSupported(true);
    door.addMappingForUrlPatterns(
        EnumSet.of(DispatcherType.REQUEST), false, "/api/*", "/ws/*", "/metrics", "/demo/*");
    context
        .addFilter("client-script-cors", new ClientScriptCors(node.access()))
        .addMappingForUrlPatterns(
            EnumSet.of(DispatcherType.REQUEST), false, ClientScriptCors.PATHS);
    ServletRegistration.Dynamic streams =
        context.addServlet(
            "streams",
            new StreamsServlet(
                node.log(),
                config.limits(),
                node.guard(),
                node.deadlines(),
                node.appendAnswerMillis()));
    streams.setAsyncSupported(true);
    streams.addMapping("/api/*");
    context
        .addServlet("audit", new AuditServlet(node.audit(), config.limits().maxStreamIdChars()))
        .addMapping(AccessFilter.AUDIT_PATH + "/*");
    context
        .addServlet("health", new HealthServlet(node::databaseUp, node::redisUp))
        .addMapping("/health");
    context.addServlet("metrics", new MetricsServlet(node.metrics())).addMapping("/metrics");
    ServletRegistration.Dynamic demo =
        context.addServlet(
            "demo",
            node.demo()
                .map(
                    producer ->
                        DemoServlet.enabled(
                            producer, node.access().minter(), node.deadlines(), node.guard()))
                .orElseGet(DemoServlet::disabled));
    demo.setAsyncSupported(true);
    demo.addMapping("/demo/*");

    // Loaded now, so the container destroys it, before any filter, when the application stops.
    context
        .addServlet(GoingAwayOnStop.NAME, new GoingAwayOnStop(node.delivery()))
        .setLoadOnStartup(0);

    ServerContainer webSockets =
        (ServerContainer) context.getAttribute(ServerContainer.class.getName());
    if (webSockets == null) {
      throw new IllegalStateException(
          "no WebSocket container in this web application: Tyrus did not start (in a full Tomcat,"
              + " META-INF/context.xml must keep containerSciFilter=\"WsSci\")");
    }
    try {
      webSockets.addEndpoint(
          StreamEndpoint.config(
              node.log(),
              node.delivery(),
              config.limits().maxStreamIdChars(),
              node.deadlines(),
              node.guard()));
    } catch (DeploymentException e) {
      throw new IllegalStateException("cannot register " + StreamEndpoint.PATH, e);
    }
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    if (node != null) {
      node.close();
    }
    // WebSockets still draining their close (a client that stopped reading) are dropped now.
    CloseDeadlines.stop();
    deregisterJdbcDrivers();
    LOG.info("Chunk Relay node stopped");
  }

  /** Drivers this web application registered would otherwise pin its class loader. */
  private static void deregisterJdbcDrivers() {
    ClassLoader own = ChunkRelayListener.class.getClassLoader();
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
