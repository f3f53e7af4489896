package io.chunkrelay.launch;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for the requests Tomcat
 * refuses before the web application sees them (a path with {@code %2f} or {@code %00}, an id of 60
 * KB, a header too large, too many parameters, TRACE): under {@code /api/} and {@code /ws/} the
 * answer is a problem+json like the API's own (same {@code type} prefix, a stable {@code code}),
 * never Tomcat's HTML page; elsewhere it is Tomcat's page without its report or server version.
 * Neither ever carries a stack trace.
 *
 * <p>The web application's own problems never reach here: they are written before this valve runs,
 * and it leaves any answer that has a body alone.
 */
final class ProblemReportValve extends ErrorReportValve {
  private static final String TYPE_PREFIX = "urn:chunk-relay:problem:";

  ProblemReportValve() {
    setShowReport(false);
    setShowServerInfo(false);
  }

  @Override
  protected void report(Request request, Response response, Throwable throwable) {
    int status = response.getStatus();
    if (status < 400 || response.getContentWritten() > 0 || !underApi(request)) {
      super.report(request, response, throwable);
      return;
    }
    if (!response.setErrorReported()) {
      return;
    }
    AtomicBoolean ioAllowed = new AtomicBoolean();
    response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
    if (!ioAllowed.get()) {
      return;
    }
    Kind kind = Kind.of(status);
    String body =
        "{\"type\":\""
            + TYPE_PREFIX
            + kind.code()
            + "\",\"title\":\""
            + kind.title()
            + "\",\"status\":"
            + status
            + ",\"code\":\""
            + kind.code()
            + "\",\"detail\":\""
            + detail(status)
            + "\"}";
    try {
      response.setContentType("application/problem+json");
      response.setCharacterEncoding(StandardCharsets.UTF_8.name());
      Writer writer = response.getReporter();
      if (writer != null) {
        writer.write(body);
        response.finishResponse();
      }
    } catch (IOException | IllegalStateException e) {
      // The client is gone or the answer was committed meanwhile: nothing more to tell it.
      container.getLogger().debug("could not write the problem for status " + status, e);
    }
  }

  /**
   * Whether the raw path (it may not even decode) is the API's or the WebSocket endpoint's; a
   * request line too long to read has no path at all, and its refusal is a problem too: no page is
   * ever asked for that way.
   */
  private static boolean underApi(Request request) {
    String raw = request.getCoyoteRequest().requestURI().toString();
    return raw == null || raw.isEmpty() || raw.startsWith("/api/") || raw.startsWith("/ws/");
  }

  /** A refusal's stable code and its title, as the API names them. */
  private record Kind(String code, String title) {
    static Kind of(int status) {
      return switch (status) {
        case 404 -> new Kind("not-found", "Not found");
        case 405 -> new Kind("method-not-allowed", "Method not allowed");
        case 408 -> new Kind("request-timeout", "Request took too long");
        case 413 -> new Kind("request-too-large", "Request body too large");
        case 414 -> new Kind("uri-too-long", "URI too long");
        case 431 -> new Kind("headers-too-large", "Headers too large");
        case 501 -> new Kind("not-implemented", "Not implemented");
        case 503 -> new Kind("unavailable", "Unavailable");
        default ->
            status < 500
                ? new Kind("bad-request", "Bad request")
                : new Kind("internal-error", "Internal error");
      };
    }
  }

  private static String detail(int status) {
    return status < 500
        ? "the HTTP server refused the request before the API read it: check its path (no"
            + " encoded '/' or NUL), the size of its path and headers, its number of parameters and"
            + " its method"
        : "the HTTP server failed before the API read the request";
  }
}
