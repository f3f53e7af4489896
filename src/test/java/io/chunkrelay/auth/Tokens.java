package io.chunkrelay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.chunkrelay.config.AuthSettings;
import io.chunkrelay.config.SettingSource;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test tokens signed for real, the way an identity provider would, and settings to verify them. */
final class Tokens {
  static final String SECRET = "a-test-secret-of-at-least-thirty-two-bytes";
  static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

  private Tokens() {}

  /** Claims of a good token at {@link #NOW}: sub, an hour of validity, the given scope/streams. */
  static JWTClaimsSet.Builder claims(String scope, List<String> streams) {
    return new JWTClaimsSet.Builder()
        .subject("svc-writer")
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plusSeconds(3600)))
        .claim("scope", scope)
        .claim("streams", streams);
  }

  static String hs256(JWTClaimsSet.Builder claims) {
    return hs256(claims, SECRET);
  }

  static String hs256(JWTClaimsSet.Builder claims, String secret) {
    try {
      return sign(
          claims, new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256, null);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String rs256(JWTClaimsSet.Builder claims, KeyPair keys, String kid) {
    return sign(claims, new RSASSASigner(keys.getPrivate()), JWSAlgorithm.RS256, kid);
  }

  static String es256(JWTClaimsSet.Builder claims, KeyPair keys) {
    try {
      return sign(
          claims, new ECDSASigner((ECPrivateKey) keys.getPrivate()), JWSAlgorithm.ES256, null);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sign(JWTClaimsSet.Builder claims, JWSSigner signer, JWSAlgorithm alg, String kid) {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(bits);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair p256() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(KeyPair keys) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(keys.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** Settings in jwt mode with {@code extra} on top of nothing (give a key source in it). */
  static AuthSettings settings(Map<String, String> extra) {
    Map<String, String> all = new HashMap<>();
    all.put("CHUNK_RELAY_DB_URL", "jdbc:postgresql://127.0.0.1/unused");
    all.put("CHUNK_RELAY_AUTH", "jwt");
    all.put("CHUNK_RELAY_FANOUT_KEY", "a-fan-out-key-of-at-least-thirty-two-bytes");
    all.putAll(extra);
    return io.chunkrelay.config.RelayConfig.load(SettingSource.of(all)).auth();
  }
}
