package io.chunkrelay.auth;

import io.chunkrelay.wire.ProblemType;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What one verified caller may do: its subject, its scopes, the streams they apply to, and until
 * when. A request is allowed only when both its scope and its stream are covered.
 *
 * @param subject who the caller is: a token's {@code sub}, a container principal's name, or empty
 *     when the node runs without authentication
 * @param expiresAt when the credential stops being valid (a token's {@code exp}); empty for a
 *     container principal or an unauthenticated node
 */
public record Grant(
    Optional<String> subject,
    Set<Scope> scopes,
    StreamPatterns streams,
    Optional<Instant> expiresAt) {

  /** A node without authentication: everyone may do everything, and nobody is named. */
  static final Grant ANYONE =
      new Grant(
          Optional.empty(), Set.of(Scope.values()), StreamPatterns.EVERY_STREAM, Optional.empty());

  /** Throws {@link Denied} unless this grant allows {@code scope} on {@code streamId}. */
  public void require(Scope scope, String streamId) {
    require(scope);
    if (!streams.covers(streamId)) {
      throw new Denied(
          ProblemType.STREAM_NOT_ALLOWED,
          "this credential does not cover stream '" + streamId + "'");
    }
  }

  /** Throws {@link Denied} unless this grant has {@code scope} (for requests about no stream). */
  public void require(Scope scope) {
    if (!scopes.contains(scope)) {
      throw new Denied(
          ProblemType.SCOPE_NOT_ALLOWED,
          "this credential lacks the '" + scope.claimValue() + "' scope");
    }
  }

  /** Whether this grant allows {@code scope} on {@code streamId}. */
  public boolean allows(Scope scope, String streamId) {
    return scopes.contains(scope) && streams.covers(streamId);
  }
}
