package io.chunkrelay.web.edge;

import io.chunkrelay.auth.Access;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Lets a page of an origin listed in {@code CHUNK_RELAY_ALLOWED_ORIGINS} import the browser client
 * ({@code js/chunk-relay.js}, and its types) from the node. A browser fetches a module script of
 * another origin with a CORS request, and refuses it unless the answer names the page's origin.
 * Other origins get no such header: their pages could not call the node anyway.
 */
public final class ClientScriptCors extends HttpFilter {
  private static final long serialVersionUID = 1L;

  /** The paths this filter is mapped to. */
  public static final String[] PATHS = {"/js/chunk-relay.js", "/js/chunk-relay.d.ts"};

  private final transient Access access;

  public ClientScriptCors(Access access) {
    this.access = access;
  }

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    String origin = request.getHeader("Origin");
    response.setHeader("Vary", "Origin");
    if (origin != null && access.listed(origin)) {
      response.setHeader("Access-Control-Allow-Origin", origin);
    }
    chain.doFilter(request, response);
  }
}
