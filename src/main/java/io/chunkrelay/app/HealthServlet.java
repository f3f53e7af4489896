package io.chunkrelay.app;

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
 * {@code GET /health}: 200 with {@code "status":"up"} when this node can reach PostgreSQL within
 * two seconds, else 503 with {@code "status":"down"}. For load balancers and orchestrators.
 */
final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(HealthServlet.class);
  private static final int CHECK_TIMEOUT_SECONDS = 2;

  private final transient DataSource dataSource;
  private final String nodeId;

  HealthServlet(DataSource dataSource, String nodeId) {
    this.dataSource = dataSource;
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
    response.setStatus(databaseUp ? 200 : 503);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    String status = databaseUp ? "up" : "down";
    response
        .getWriter()
        .write(
            "{\"status\":\""
                + status
                + "\",\"node\":"
                + quoted(nodeId)
                + ",\"database\":\""
                + status
                + "\"}");
  }

  private static String quoted(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
