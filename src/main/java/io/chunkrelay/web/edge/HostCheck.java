package io.chunkrelay.web.edge;

import io.chunkrelay.config.ServedHosts;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * Keeps DNS rebinding away: a request for a {@code Host} the node does not serve ({@link
 * ServedHosts}) is refused with {@code 421 host-not-allowed} before anything else reads it, on
 * every path, WebSocket handshakes included. A page on an attacker's name that now resolves to the
 * node is same-origin with that name, so the origin check alone would let it read and write every
 * stream of a node that asks for no token.
 */
public final class HostCheck extends HttpFilter {
  private static final long serialVersionUID = 1L;

  private final transient ServedHosts hosts;

  public HostCheck(ServedHosts hosts) {
    this.hosts = hosts;
  }

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (hosts.serves(Optional.ofNullable(request.getHeader("Host")))) {
      chain.doFilter(request, response);
      return;
    }
    EarlyRefusal.answer(
        request,
        response,
        ProblemType.HOST_NOT_ALLOWED,
        "this node does not serve that host name; list it in CHUNK_RELAY_ALLOWED_HOSTS");
  }
}
