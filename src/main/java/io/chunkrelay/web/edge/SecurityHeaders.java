package io.chunkrelay.web.edge;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Every answer of the node tells a browser what it may do with it: the demo page and its scripts
 * load only from the node itself and cannot be framed by another site (clickjacking), no answer is
 * sniffed into another media type, and no page leaks its address as a referrer. Set before the
 * request is handled, so answers written later (asynchronously, or as problems) carry them too.
 */
public final class SecurityHeaders extends HttpFilter {
  private static final long serialVersionUID = 1L;

  /**
   * Scripts, styles and connections (the WebSocket included) from the node's own origin only; no
   * plug-ins, no {@code <base>}, forms post only to the node, and no framing by anyone.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
          + " frame-ancestors 'none'";

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Referrer-Policy", "no-referrer");
    chain.doFilter(request, response);
  }
}
