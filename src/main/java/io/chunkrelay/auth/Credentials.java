package io.chunkrelay.auth;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a request offers as proof of who it is, as the container edge found it.
 *
 * @param bearerHeaders the values of its {@code Authorization} headers
 * @param handshakeTokens tokens a WebSocket handshake carried where browsers can put them: {@code
 *     ?access_token=} values and {@code bearer.<token>} subprotocols (empty for other requests)
 * @param principal the name of the user the container authenticated, if it did
 * @param inRole whether that user is in a container role
 */
public record Credentials(
    List<String> bearerHeaders,
    List<String> handshakeTokens,
    Optional<String> principal,
    Predicate<String> inRole) {

  /** The subprotocol prefix under which a browser's WebSocket offers its token. */
  public static final String SUBPROTOCOL_PREFIX = "bearer.";
}
