package io.chunkrelay.web.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Keeps promise 7 (Redis accelerates, PostgreSQL decides) visible to a load balancer: {@code GET
 * /health} is 200 when this node reaches PostgreSQL, else 503. Redis is reported but does not
 * decide: without it delivery continues from the log, only slower. Anyone may ask, so the answer
 * says nothing of the node but up or down: no name, host or port (those are in the node's log and
 * its metrics, behind the operator's token).
 */
public final class HealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient BooleanSupplier databaseUp;
  private final transient BooleanSupplier redisUp;

  public HealthServlet(BooleanSupplier databaseUp, BooleanSupplier redisUp) {
    this.databaseUp = databaseUp;
    this.redisUp = redisUp;
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    boolean database = databaseUp.getAsBoolean();
    ObjectNode body = WireFormat.object();
    body.put("status", database ? "up" : "down");
    body.put("database", database ? "up" : "down");
    body.put("redis", redisUp.getAsBoolean() ? "up" : "down");
    response.setStatus(database ? 200 : 503);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(WireFormat.write(body));
  }
}
