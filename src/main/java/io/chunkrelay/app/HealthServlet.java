package io.chunkrelay.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.fanout.RedisFeed;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /health}: 200 when this node reaches PostgreSQL within two seconds, else 503. Redis is
 * reported but does not decide: without it delivery continues from the log, only slower.
 */
final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(HealthServlet.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHECK_TIMEOUT_SECONDS = 2;

  private final transient DataSource dataSource;
  private final transient RedisFeed feed;
  private final String nodeId;

  HealthServlet(DataSource dataSource, RedisFeed feed, String nodeId) {
    this.dataSource = dataSource;
    this.feed = feed;
    this.nodeId = nodeId;
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    boolean databaseUp;
    try (Connection connection = dataSource.getConnection()) {
      databaseUp = connection.isValid(CHECK_TIMEOUT_SECONDS);
    } catch (SQLException e) {
      LOG.warn("health check: database unreachable: {}", e.toString());
      databaseUp = false;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("status", databaseUp ? "up" : "down");
    body.put("node", nodeId);
    body.put("database", databaseUp ? "up" : "down");
    body.put("redis", feed.isUp() ? "up" : "down");
    response.setStatus(databaseUp ? 200 : 503);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(JSON.writeValueAsString(body));
  }
}
