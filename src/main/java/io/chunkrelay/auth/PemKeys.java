package io.chunkrelay.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import io.chunkrelay.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the verification key of {@code CHUNK_RELAY_JWT_PUBLIC_KEY}: a {@code PUBLIC KEY} (X.509
 * SubjectPublicKeyInfo) or a {@code CERTIFICATE} in PEM, holding an RSA key of at least 2048 bits
 * or a P-256 EC key, with the JDK's own parsers.
 */
final class PemKeys {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
  private static final int MIN_RSA_BITS = 2048;

  private PemKeys() {}

  static JWK publicKey(String pem) {
    Matcher block = BLOCK.matcher(pem);
    if (!block.find()) {
      throw bad("no PEM block (-----BEGIN PUBLIC KEY----- ...) found");
    }
    byte[] der = Base64.getMimeDecoder().decode(block.group(2));
    PublicKey key;
    try {
      key =
          switch (block.group(1)) {
            case "PUBLIC KEY" -> decode(der);
            case "CERTIFICATE" ->
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der))
                    .getPublicKey();
            default -> throw bad("a " + block.group(1) + " block is not a public key");
          };
    } catch (GeneralSecurityException e) {
      throw bad("the key cannot be read: " + e.getMessage());
    }
    if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < MIN_RSA_BITS) {
        throw bad("an RSA key needs at least " + MIN_RSA_BITS + " bits");
      }
      return new RSAKey.Builder(rsa).build();
    }
    if (key instanceof ECPublicKey ec && Curve.forECParameterSpec(ec.getParams()) == Curve.P_256) {
      return new ECKey.Builder(Curve.P_256, ec).build();
    }
    throw bad("only RSA (RS256) and P-256 EC (ES256) keys are accepted");
  }

  private static PublicKey decode(byte[] der) throws GeneralSecurityException {
    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
    try {
      return KeyFactory.getInstance("RSA").generatePublic(spec);
    } catch (GeneralSecurityException notRsa) {
      return KeyFactory.getInstance("EC").generatePublic(spec);
    }
  }

  private static ConfigException bad(String why) {
    return new ConfigException("CHUNK_RELAY_JWT_PUBLIC_KEY: " + why);
  }
}
