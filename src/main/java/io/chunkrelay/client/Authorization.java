package io.chunkrelay.client;

import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.util.function.Supplier;

/**
 * The client's credential: asks the caller's token provider for a token each time a request or a
 * connection is made, and puts it where the node looks for it ({@code Authorization: Bearer}). A
 * client without a provider sends no credential.
 */
final class Authorization {
  private final Supplier<String> tokens;

  Authorization(Supplier<String> tokens) {
    this.tokens = tokens;
  }

  void addTo(HttpRequest.Builder request) {
    if (tokens != null) {
      request.setHeader("Authorization", bearer());
    }
  }

  void addTo(WebSocket.Builder handshake) {
    if (tokens != null) {
      handshake.header("Authorization", bearer());
    }
  }

  private String bearer() {
    String token = tokens.get();
    if (token == null || token.isBlank()) {
      throw new ChunkRelayException(
          0, "missing-token", "the token provider returned no token", null);
    }
    return "Bearer " + token.trim();
  }
}
