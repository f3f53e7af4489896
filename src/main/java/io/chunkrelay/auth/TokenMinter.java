package io.chunkrelay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Signs short-lived HS256 tokens with the node's own secret: what the demo page's server side hands
 * the browser so the page can subscribe to the stream it started, in {@code jwt} mode too.
 */
public final class TokenMinter {
  private final MACSigner signer;
  private final Optional<String> issuer;
  private final Optional<String> audience;
  private final Clock clock;

  TokenMinter(String secret, Optional<String> issuer, Optional<String> audience, Clock clock) {
    try {
      this.signer = new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("CHUNK_RELAY_JWT_SECRET cannot sign HS256: " + e, e);
    }
    this.issuer = issuer;
    this.audience = audience;
    this.clock = clock;
  }

  /**
   * A provider of tokens for {@code subject} with {@code scopes} on {@code streams}, each valid for
   * {@code ttl}: it hands out the same token until a fifth of its life is left, then mints the
   * next.
   */
  public Supplier<String> provider(
      String subject, Set<Scope> scopes, List<String> streams, Duration ttl) {
    AtomicReference<Minted> current = new AtomicReference<>();
    return () ->
        current
            .updateAndGet(
                minted ->
                    minted != null && clock.instant().isBefore(minted.renewAt())
                        ? minted
                        : new Minted(
                            mint(subject, scopes, streams, ttl),
                            clock.instant().plus(ttl.multipliedBy(4).dividedBy(5))))
            .token();
  }

  private record Minted(String token, Instant renewAt) {}

  /** A token for {@code subject} with {@code scopes} on {@code streams}, valid for {@code ttl}. */
  public String mint(String subject, Set<Scope> scopes, List<String> streams, Duration ttl) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject(subject)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .claim(
                "scope",
                scopes.stream().map(Scope::claimValue).sorted().collect(Collectors.joining(" ")))
            .claim("streams", streams);
    issuer.ifPresent(claims::issuer);
    audience.ifPresent(claims::audience);
    SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      token.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token: " + e, e);
    }
    return token.serialize();
  }
}
