package io.chunkrelay.web.edge;

import io.chunkrelay.auth.Access;
import io.chunkrelay.auth.Credentials;
import io.chunkrelay.auth.Denied;
import io.chunkrelay.auth.Grant;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.guard.Guard;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import java.io.IOException;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 9 (nobody reads or writes a stream they were not given) at the door: no request
 * reaches the API, the WebSocket upgrade or the metrics before its page's origin is checked and its
 * caller authenticated.
 *
 * <p>Mapped before Tyrus's upgrade filter, so a refused handshake is an HTTP 401 or 403 problem and
 * never a WebSocket. An accepted request goes on carrying its {@link Grant} as its user principal
 * ({@link #grantOf}), where the servlet and the WebSocket endpoint (which sees the same principal)
 * check scope and stream. Cross-origin calls from origins listed in {@code
 * CHUNK_RELAY_ALLOWED_ORIGINS} get CORS answers, preflights included. An accepted handshake's
 * connection reads through {@link CheckedUpgradeHandler}, which refuses hostile client frames.
 */
public final class AccessFilter extends HttpFilter {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AccessFilter.class);
  private static final String CORS_HEADERS =
      "Authorization, Content-Type, Idempotency-Key, Producer-Id, Producer-Epoch, Producer-Seq";
  private static final String CORS_EXPOSED =
      "Producer-Epoch, Producer-Expected-Seq, Producer-Received-Seq, Retry-After";
  private static final String CORS_MAX_AGE_SECONDS = "600";

  /** How long a client refused for want of room should wait before it tries again. */
  static final int RETRY_CONNECTION_SECONDS = 5;

  private final transient Access access;
  private final transient Guard guard;

  public AccessFilter(Access access, Guard guard) {
    this.access = access;
    this.guard = guard;
  }

  /** The grant the filter attached to a request (or a WebSocket handshake's principal). */
  public static Grant grantOf(Principal principal) {
    return granted(principal).grant();
  }

  /** The client address the filter saw for a request (or a WebSocket handshake's principal). */
  public static String addressOf(Principal principal) {
    return granted(principal).address();
  }

  private static GrantPrincipal granted(Principal principal) {
    if (principal instanceof GrantPrincipal granted) {
      return granted;
    }
    // Unreachable through the filter's mappings; fail closed if a mapping is ever missed.
    throw new IllegalStateException("request reached the application without passing AccessFilter");
  }

  /** Where the audit API is served (mapped {@code /api/audit/*}): the audit scope only. */
  public static final String AUDIT_PATH = "/api/audit";

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    Optional<String> origin = Optional.ofNullable(request.getHeader("Origin"));
    boolean handshake = request.getServletPath().startsWith("/ws/");
    try {
      access.checkOrigin(origin, Optional.ofNullable(request.getHeader("Host")));
      if (origin.isPresent() && access.listed(origin.get()) && !handshake) {
        response.setHeader("Access-Control-Allow-Origin", origin.get());
        response.setHeader("Vary", "Origin");
        response.setHeader("Access-Control-Expose-Headers", CORS_EXPOSED);
        if (request.getMethod().equals("OPTIONS")
            && request.getHeader("Access-Control-Request-Method") != null) {
          response.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST");
          response.setHeader("Access-Control-Allow-Headers", CORS_HEADERS);
          response.setHeader("Access-Control-Max-Age", CORS_MAX_AGE_SECONDS);
          response.setStatus(HttpServletResponse.SC_NO_CONTENT);
          return;
        }
      }
      Grant grant =
          access.required()
              ? access.authenticate(credentials(request, handshake))
              : access.anyone();
      if (request.getServletPath().equals("/metrics")) {
        grant.require(Scope.ADMIN);
      }
      if (request.getServletPath().equals(AUDIT_PATH)) {
        grant.require(Scope.AUDIT);
      }
      if (handshake
          && "websocket".equalsIgnoreCase(request.getHeader("Upgrade"))
          && !admitted(request, response)) {
        return;
      }
      chain.doFilter(new Granted(request, grant), response);
    } catch (Denied denied) {
      LOG.debug(
          "refused {} {} from {}: {}",
          request.getMethod(),
          request.getRequestURI(),
          request.getRemoteAddr(),
          denied.type().code());
      if (denied.type().status() == HttpServletResponse.SC_UNAUTHORIZED) {
        // RFC 6750: a client learns the scheme, and whether to fetch a fresh token.
        response.setHeader(
            "WWW-Authenticate",
            denied.type() == ProblemType.MISSING_TOKEN
                ? "Bearer realm=\"chunk-relay\""
                : "Bearer realm=\"chunk-relay\", error=\"invalid_token\"");
      }
      Problems.write(request, response, denied.type(), denied.getMessage());
    }
  }

  /** Whether the node has room for one more WebSocket from this client; answers if not. */
  private boolean admitted(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Guard.Admission admission = guard.admit(request.getRemoteAddr());
    if (admission == Guard.Admission.ADMITTED) {
      return true;
    }
    response.setHeader("Retry-After", Integer.toString(RETRY_CONNECTION_SECONDS));
    LOG.debug("refused a WebSocket from {}: {}", request.getRemoteAddr(), admission);
    switch (admission) {
      case NODE_FULL ->
          Problems.write(
              request,
              response,
              ProblemType.TOO_MANY_CONNECTIONS,
              "this node holds as many connections as it may; try again or another node");
      case ADDRESS_FULL ->
          Problems.write(
              request,
              response,
              ProblemType.RATE_LIMITED,
              "this address holds as many connections as it may");
      default ->
          Problems.write(
              request,
              response,
              ProblemType.RATE_LIMITED,
              "the node is accepting new connections as fast as it may; try again shortly");
    }
    return false;
  }

  private static Credentials credentials(HttpServletRequest request, boolean handshake) {
    List<String> handshakeTokens = new ArrayList<>();
    if (handshake) {
      String[] query = request.getParameterValues("access_token");
      if (query != null) {
        handshakeTokens.addAll(List.of(query));
      }
      for (String header : Collections.list(request.getHeaders("Sec-WebSocket-Protocol"))) {
        for (String protocol : header.split(",")) {
          String offered = protocol.trim();
          if (offered.startsWith(Credentials.SUBPROTOCOL_PREFIX)) {
            handshakeTokens.add(offered.substring(Credentials.SUBPROTOCOL_PREFIX.length()));
          }
        }
      }
    }
    Principal principal = request.getUserPrincipal();
    return new Credentials(
        Collections.list(request.getHeaders("Authorization")),
        handshakeTokens,
        Optional.ofNullable(principal).map(Principal::getName),
        request::isUserInRole);
  }

  /**
   * The caller's grant and address, carried as the request's (and the WebSocket session's)
   * principal.
   */
  record GrantPrincipal(Grant grant, String address) implements Principal {
    @Override
    public String getName() {
      return grant.subject().orElse("anonymous");
    }
  }

  /** The request as the rest of the application sees it: its principal is the grant. */
  private static final class Granted extends HttpServletRequestWrapper {
    private final GrantPrincipal principal;

    Granted(HttpServletRequest request, Grant grant) {
      super(request);
      this.principal = new GrantPrincipal(grant, request.getRemoteAddr());
    }

    @Override
    public Principal getUserPrincipal() {
      return principal;
    }

    /** Tyrus asks for its handler; it gets the one that checks client frames first. */
    @Override
    public <T extends HttpUpgradeHandler> T upgrade(Class<T> handlerClass)
        throws IOException, ServletException {
      if (handlerClass != TyrusHttpUpgradeHandler.class) {
        return super.upgrade(handlerClass);
      }
      CheckedUpgradeHandler handler = super.upgrade(CheckedUpgradeHandler.class);
      handler.peer(principal.address());
      return handlerClass.cast(handler);
    }
  }
}
