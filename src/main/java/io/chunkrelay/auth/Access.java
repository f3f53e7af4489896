package io.chunkrelay.auth;

import io.chunkrelay.config.AuthSettings;
import io.chunkrelay.wire.ProblemType;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The node's one door check: who a request comes from ({@link #authenticate}) and whether the web
 * page it comes from may call the node at all ({@link #checkOrigin}).
 *
 * <p>A request is authenticated, in order, by the container's roles (a principal in role {@code
 * chunk-relay-producer}, {@code -subscriber} or {@code -admin} is granted that scope on every
 * stream: an app server's realm or SSO needs no JWT), else by exactly one token: an {@code
 * Authorization: Bearer} header, or on a WebSocket handshake an {@code access_token} query
 * parameter or a {@code bearer.<token>} subprotocol. No token is {@code missing-token}; two tokens
 * are refused as {@code invalid-token} rather than one picked. With {@code CHUNK_RELAY_AUTH=none}
 * every request is granted everything and nothing is checked but the origin.
 */
public final class Access {
  private static final String BEARER = "bearer ";

  private final AuthSettings settings;
  private final Optional<TokenVerifier> verifier;
  private final Optional<TokenMinter> minter;

  private Access(
      AuthSettings settings, Optional<TokenVerifier> verifier, Optional<TokenMinter> minter) {
    this.settings = settings;
    this.verifier = verifier;
    this.minter = minter;
  }

  /** The door of a node configured with {@code settings}; a bad key fails here, at start-up. */
  public static Access of(AuthSettings settings, Clock clock) {
    if (settings.mode() == AuthSettings.Mode.NONE) {
      return new Access(settings, Optional.empty(), Optional.empty());
    }
    return new Access(
        settings,
        Optional.of(TokenVerifier.of(settings, clock)),
        settings
            .jwtSecret()
            .map(secret -> new TokenMinter(secret, settings.issuer(), settings.audience(), clock)));
  }

  /** Whether requests need credentials at all ({@code CHUNK_RELAY_AUTH=jwt}). */
  public boolean required() {
    return verifier.isPresent();
  }

  /**
   * Mints tokens this node accepts, for its own demo page; present only when it verifies with an
   * HS256 secret (a node holding only a public key cannot sign).
   */
  public Optional<TokenMinter> minter() {
    return minter;
  }

  /** The grant of every request on a node that requires no credentials. */
  public Grant anyone() {
    return Grant.ANYONE;
  }

  /** The grant of a request's credentials; throws {@link Denied} (401) when there is none. */
  public Grant authenticate(Credentials credentials) {
    if (verifier.isEmpty()) {
      return Grant.ANYONE;
    }
    if (credentials.principal().isPresent()) {
      Set<Scope> roles = EnumSet.noneOf(Scope.class);
      for (Scope scope : Scope.values()) {
        if (credentials.inRole().test(scope.roleName())) {
          roles.add(scope);
        }
      }
      if (!roles.isEmpty()) {
        return new Grant(
            credentials.principal(),
            Set.copyOf(roles),
            StreamPatterns.EVERY_STREAM,
            Optional.empty());
      }
    }
    List<String> tokens = new ArrayList<>(credentials.handshakeTokens());
    for (String header : credentials.bearerHeaders()) {
      if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        throw new Denied(
            ProblemType.INVALID_TOKEN, "send the token as Authorization: Bearer <token>");
      }
      tokens.add(header.substring(BEARER.length()).trim());
    }
    if (tokens.isEmpty()) {
      throw new Denied(
          ProblemType.MISSING_TOKEN,
          "this node needs a token: Authorization: Bearer <token> (on a WebSocket also"
              + " ?access_token=<token>)");
    }
    if (tokens.size() > 1) {
      throw new Denied(ProblemType.INVALID_TOKEN, "give exactly one token");
    }
    return verifier.get().verify(tokens.get(0));
  }

  /**
   * Throws {@code origin-not-allowed} unless a browser's {@code Origin} is the node's own ({@code
   * host} is the request's Host header) or listed in {@code CHUNK_RELAY_ALLOWED_ORIGINS}. A request
   * without an {@code Origin} is not from a browser's cross-site page and passes.
   */
  public void checkOrigin(Optional<String> origin, Optional<String> host) {
    if (origin.isEmpty()) {
      return;
    }
    String claimed = origin.get().trim().toLowerCase(Locale.ROOT);
    if (settings.allowedOrigins().contains(claimed) || sameOrigin(claimed, host)) {
      return;
    }
    throw new Denied(
        ProblemType.ORIGIN_NOT_ALLOWED,
        "pages from this origin may not call this node (CHUNK_RELAY_ALLOWED_ORIGINS)");
  }

  /** Whether {@code origin} is listed in {@code CHUNK_RELAY_ALLOWED_ORIGINS} (for CORS answers). */
  public boolean listed(String origin) {
    return settings.allowedOrigins().contains(origin.trim().toLowerCase(Locale.ROOT));
  }

  private static boolean sameOrigin(String origin, Optional<String> host) {
    if (host.isEmpty()) {
      return false;
    }
    try {
      URI uri = new URI(origin);
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        return false;
      }
      int defaultPort = "https".equals(uri.getScheme()) ? 443 : 80;
      String authority =
          uri.getHost()
              + (uri.getPort() == -1 || uri.getPort() == defaultPort ? "" : ":" + uri.getPort());
      String requested = host.get().trim().toLowerCase(Locale.ROOT);
      if (requested.endsWith(":" + defaultPort)) {
        requested = requested.substring(0, requested.length() - (":" + defaultPort).length());
      }
      return authority.equals(requested);
    } catch (URISyntaxException notAnOrigin) {
      return false;
    }
  }
}
