package io.chunkrelay.bench;

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

/** The benchmark's one token against a node in jwt mode: every scope, every stream, two hours. */
final class BenchToken {
  private BenchToken() {}

  static String mint(String secret) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .subject("benchmark")
            .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(2))))
            .claim("scope", "produce subscribe admin")
            .claim("streams", List.of("*"))
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("--jwt-secret cannot sign HS256: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }
}
