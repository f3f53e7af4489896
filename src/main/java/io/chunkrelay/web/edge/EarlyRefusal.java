package io.chunkrelay.web.edge;

import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a request refused before anything reads it is answered: its problem, the connection closed
 * after it (what follows on it is not trusted), and one DEBUG line without the query string.
 */
final class EarlyRefusal {
  private static final Logger LOG = LoggerFactory.getLogger(EarlyRefusal.class);

  private EarlyRefusal() {}

  static void answer(
      HttpServletRequest request, HttpServletResponse response, ProblemType type, String detail)
      throws IOException {
    LOG.debug(
        "refused {} {} from {}: {}",
        request.getMethod(),
        request.getRequestURI(),
        request.getRemoteAddr(),
        type.code());
    response.setHeader("Connection", "close");
    Problems.write(request, response, type, detail);
  }
}
