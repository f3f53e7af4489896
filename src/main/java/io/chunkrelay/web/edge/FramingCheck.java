package io.chunkrelay.web.edge;

import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.List;

/**
 * Keeps a proxy in front and the node agreeing on where a request ends (no request smuggling): the
 * only {@code Transfer-Encoding} the node takes is one header saying exactly {@code chunked}.
 * Tomcat unfolds an obsolete line fold ({@code Transfer-Encoding:} CRLF SP {@code chunked}) and
 * honours the result, while a proxy may not have seen a transfer coding there at all and framed the
 * body by its {@code Content-Length}; such a request, a repeated header or a list of codings is
 * refused with {@code 400 invalid-transfer-encoding} and the connection closed. (The folded value
 * reaches the application with the fold's space in front of it.)
 */
public final class FramingCheck extends HttpFilter {
  private static final long serialVersionUID = 1L;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    List<String> codings = Collections.list(request.getHeaders("Transfer-Encoding"));
    if (codings.isEmpty() || (codings.size() == 1 && codings.get(0).equalsIgnoreCase("chunked"))) {
      chain.doFilter(request, response);
      return;
    }
    EarlyRefusal.answer(
        request,
        response,
        ProblemType.INVALID_TRANSFER_ENCODING,
        "send one Transfer-Encoding header whose value is exactly chunked, on one line, or none");
  }
}
