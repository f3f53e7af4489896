package io.chunkrelay.it.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Tokens for a secured test node, signed for real with {@link TestServices#JWT_SECRET}. */
public final class TestTokens {
  private TestTokens() {}

  /** The issuer of every test token, which a node may be configured to require. */
  public static final String ISSUER = "https://id.test.chunk-relay/";

  /** The audience of every test token, which a node may be configured to require. */
  public static final String AUDIENCE = "chunk-relay";

  /**
   * Claims valid for ten minutes from now for {@code subject}, {@code scope} and {@code streams},
   * from {@link #ISSUER} for {@link #AUDIENCE}.
   */
  public static JWTClaimsSet.Builder claims(String subject, String scope, String... streams) {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .subject(subject)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
        .claim("scope", scope)
        .claim("streams", List.of(streams));
  }

  /** A good token for {@code subject} with {@code scope} on {@code streams}. */
  public static String token(String subject, String scope, String... streams) {
    return sign(claims(subject, scope, streams));
  }

  public static String sign(JWTClaimsSet.Builder claims) {
    return sign(claims, TestServices.JWT_SECRET);
  }

  public static String sign(JWTClaimsSet.Builder claims, String secret) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  /** {@code Authorization: Bearer <token>} as header name and value, for request builders. */
  public static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }
}
