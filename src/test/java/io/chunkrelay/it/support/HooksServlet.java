package io.chunkrelay.it.support;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Test-only control of {@link PausingHooks}: {@code POST
 * /test/hooks?action=arm|release&point=..&stream=..} and {@code GET
 * /test/hooks?action=await&point=..&stream=..} (200 once reached, 504 if not within 30 s).
 */
@WebServlet(urlPatterns = "/test/hooks", loadOnStartup = 1)
public class HooksServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String point = request.getParameter("point");
    String stream = request.getParameter("stream");
    switch (request.getParameter("action")) {
      case "arm" -> PausingHooks.arm(point, stream);
      case "release" -> {
        try {
          PausingHooks.release(point, stream);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          response.sendError(500);
          return;
        }
      }
      case "await" -> {
        try {
          if (!PausingHooks.awaitReached(point, stream)) {
            response.sendError(504, "pause " + point + " not reached for " + stream);
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          response.sendError(500);
          return;
        }
      }
      default -> {
        response.sendError(400);
        return;
      }
    }
    response.setStatus(204);
  }
}
