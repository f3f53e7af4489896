package io.chunkrelay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.chunkrelay.config.AuthSettings;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.wire.ProblemType;
import java.net.MalformedURLException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns a compact JWT into a {@link Grant}, or refuses it.
 *
 * <p>The signature is checked by nimbus-jose-jwt against the one configured key source, which fixes
 * the accepted algorithms: HS256 for a secret, RS256 or ES256 for a public key or a JWK set. So
 * {@code alg: none}, an encrypted token, and a token signed with another algorithm (the HS256 token
 * "signed" with an RSA public key of algorithm confusion) all fail before any claim is read. Then
 * {@code exp} (required), {@code nbf}, {@code iss} and {@code aud} are checked against the node's
 * clock with a small skew, and {@code sub}, {@code scope} and {@code streams} become the grant; a
 * claim of the wrong shape refuses the whole token.
 *
 * <p>Every refusal is {@code invalid-token} with one message, whatever failed, except an expired
 * (but otherwise good) token, which is {@code token-expired} so that a client knows to fetch a
 * fresh one.
 */
final class TokenVerifier {
  /** Longest token read at all; a bigger one is refused unparsed. */
  static final int MAX_TOKEN_CHARS = 8 * 1024;

  static final int MAX_SUBJECT_CHARS = 255;
  private static final int JWKS_TIMEOUT_MILLIS = 2_000;
  private static final int JWKS_MAX_BYTES = 256 * 1024;
  private static final long JWKS_CACHE_MILLIS = TimeUnit.MINUTES.toMillis(15);
  private static final long JWKS_MIN_REFRESH_MILLIS = TimeUnit.SECONDS.toMillis(30);

  private static final String INVALID = "the token could not be verified";

  /** Tokens verified and remembered at most; past it the memory starts again empty. */
  static final int MAX_REMEMBERED_TOKENS = 10_000;

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final Clock clock;
  private final Duration skew;
  // A producer sends the same token with every append: its signature is checked once, and the
  // exact same string then maps to the same grant (its expiry is still checked on every use).
  private final Map<String, Grant> verified = new ConcurrentHashMap<>();

  private TokenVerifier(
      JWSVerificationKeySelector<SecurityContext> keys, AuthSettings settings, Clock clock) {
    this.clock = clock;
    this.skew = Duration.ofSeconds(settings.clockSkewSeconds());
    processor.setJWSKeySelector(keys);
    Set<String> audience = settings.audience().map(Set::of).orElse(null);
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
    settings.issuer().ifPresent(exact::issuer);
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(audience, exact.build(), Set.of("exp", "sub"), null) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    claims.setMaxClockSkew(settings.clockSkewSeconds());
    processor.setJWTClaimsSetVerifier(claims);
  }

  /** The verifier of {@code settings}' key source; a bad key is a configuration error. */
  static TokenVerifier of(AuthSettings settings, Clock clock) {
    if (settings.jwtSecret().isPresent()) {
      byte[] secret = settings.jwtSecret().get().getBytes(StandardCharsets.UTF_8);
      return new TokenVerifier(
          new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(secret)),
          settings,
          clock);
    }
    Set<JWSAlgorithm> asymmetric = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    if (settings.jwtPublicKeyPem().isPresent()) {
      JWKSet keys = new JWKSet(PemKeys.publicKey(settings.jwtPublicKeyPem().get()));
      return new TokenVerifier(
          new JWSVerificationKeySelector<>(asymmetric, new ImmutableJWKSet<>(keys)),
          settings,
          clock);
    }
    JWKSource<SecurityContext> remote;
    try {
      remote =
          JWKSourceBuilder.<SecurityContext>create(
                  settings.jwksUrl().orElseThrow().toURL(),
                  new DefaultResourceRetriever(
                      JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, JWKS_MAX_BYTES))
              // Cached; a token with an unknown kid refreshes the set, at most twice a minute.
              .cache(JWKS_CACHE_MILLIS, JWKS_TIMEOUT_MILLIS)
              .rateLimited(JWKS_MIN_REFRESH_MILLIS)
              .build();
    } catch (MalformedURLException e) {
      throw new ConfigException("CHUNK_RELAY_JWT_JWKS_URL is not a URL: " + e.getMessage(), e);
    }
    return new TokenVerifier(new JWSVerificationKeySelector<>(asymmetric, remote), settings, clock);
  }

  /** The grant of {@code token}; throws {@link Denied} when it is not a good token. */
  Grant verify(String token) {
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new Denied(ProblemType.INVALID_TOKEN, INVALID);
    }
    Grant known = verified.get(token);
    if (known != null) {
      if (clock.instant().isAfter(known.expiresAt().orElseThrow().plus(skew))) {
        verified.remove(token);
        throw new Denied(ProblemType.TOKEN_EXPIRED, "the token has expired; get a fresh one");
      }
      return known;
    }
    Grant grant = check(token);
    if (verified.size() >= MAX_REMEMBERED_TOKENS) {
      verified.clear();
    }
    verified.put(token, grant);
    return grant;
  }

  private Grant check(String token) {
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (ExpiredJWTException expired) {
      throw new Denied(ProblemType.TOKEN_EXPIRED, "the token has expired; get a fresh one");
    } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
      throw new Denied(ProblemType.INVALID_TOKEN, INVALID);
    }
    try {
      return grantOf(claims);
    } catch (ParseException | BadJWTException | IllegalArgumentException e) {
      throw new Denied(ProblemType.INVALID_TOKEN, INVALID);
    }
  }

  private static Grant grantOf(JWTClaimsSet claims) throws ParseException, BadJWTException {
    String subject = claims.getStringClaim("sub");
    if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT_CHARS) {
      throw new BadJWTException("bad sub");
    }
    String scope = Optional.ofNullable(claims.getStringClaim("scope")).orElse("");
    List<String> streams =
        Optional.ofNullable(claims.getStringListClaim("streams")).orElse(List.of());
    return new Grant(
        Optional.of(subject),
        Set.copyOf(Scope.parse(scope)),
        StreamPatterns.parse(streams),
        Optional.of(claims.getExpirationTime().toInstant()));
  }
}
