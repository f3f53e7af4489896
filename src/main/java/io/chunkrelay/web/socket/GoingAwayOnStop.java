package io.chunkrelay.web.socket;

import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.web.ChunkRelayListener;
import jakarta.servlet.GenericServlet;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A stopping node's WebSocket clients hear 1001 (going away), so they resume on another node at
 * once: the close is sent while the WebSocket implementation can still send.
 *
 * <p>A servlet with no mapping, loaded at start-up, whose only work is its {@link #destroy()}. The
 * Servlet specification destroys servlets and filters before it tells listeners the context is
 * gone, and Tomcat destroys servlets first. Tyrus stops its executors when its upgrade filter is
 * destroyed; from then on every send fails, so a 1001 sent from {@link ChunkRelayListener}'s {@code
 * contextDestroyed} raced the filter's destroy and the client could see the connection drop (1006)
 * instead. Here the 1001 leaves before any filter is destroyed.
 */
public final class GoingAwayOnStop extends GenericServlet {
  private static final long serialVersionUID = 1L;

  /** The name it is registered under. */
  public static final String NAME = "websockets-going-away";

  private final transient Delivery delivery;

  public GoingAwayOnStop(Delivery delivery) {
    this.delivery = delivery;
  }

  /** Never mapped, so never called; answers 404 if a container routes to it anyway. */
  @Override
  public void service(ServletRequest request, ServletResponse response) throws IOException {
    ((HttpServletResponse) response).sendError(HttpServletResponse.SC_NOT_FOUND);
  }

  @Override
  public void destroy() {
    delivery.goAway();
  }
}
