package io.chunkrelay.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may reach the node's streams, read once at start-up.
 *
 * <p>In {@code jwt} mode (the default of a deployed WAR) every API request and WebSocket handshake
 * carries a JWT verified with exactly one key source: an HS256 secret, an RS256/ES256 public key in
 * PEM, or a JWKS URL. In {@code none} mode (the default of the embedded demo run only) the node
 * serves anyone who reaches it. There is no third way.
 *
 * @param mode {@code CHUNK_RELAY_AUTH}: {@code jwt} or {@code none}
 * @param jwtSecret {@code CHUNK_RELAY_JWT_SECRET}, the HS256 key, at least {@link
 *     #MIN_SECRET_BYTES} bytes of UTF-8
 * @param jwtPublicKeyPem {@code CHUNK_RELAY_JWT_PUBLIC_KEY}: an RSA or P-256 public key (or
 *     certificate) in PEM, given as the PEM text itself or as the path of a file holding it
 * @param jwksUrl {@code CHUNK_RELAY_JWT_JWKS_URL}, an https (or loopback http) URL of a JWK set
 * @param issuer {@code CHUNK_RELAY_JWT_ISSUER}: when set, a token's {@code iss} must equal it
 * @param audience {@code CHUNK_RELAY_JWT_AUDIENCE}: when set, a token's {@code aud} must hold it
 * @param clockSkewSeconds how far {@code exp} and {@code nbf} may be off the node's clock ({@code
 *     CHUNK_RELAY_JWT_CLOCK_SKEW_SECONDS})
 * @param allowedOrigins {@code CHUNK_RELAY_ALLOWED_ORIGINS}: comma-separated web origins ({@code
 *     https://app.example.com}) whose pages may call the API and open WebSockets besides the node's
 *     own; empty allows only same-origin pages (clients that send no {@code Origin} are not
 *     browsers and are judged by their token alone)
 */
public record AuthSettings(
    Mode mode,
    Optional<String> jwtSecret,
    Optional<String> jwtPublicKeyPem,
    Optional<URI> jwksUrl,
    Optional<String> issuer,
    Optional<String> audience,
    int clockSkewSeconds,
    List<String> allowedOrigins) {

  public static final int MIN_SECRET_BYTES = 32;
  public static final int DEFAULT_CLOCK_SKEW_SECONDS = 30;

  /** How requests are authenticated. */
  public enum Mode {
    JWT,
    NONE;

    public String settingValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static AuthSettings read(SettingReader in) {
    String rawMode = in.optional("CHUNK_RELAY_AUTH").orElse("jwt");
    Mode mode =
        switch (rawMode.toLowerCase(Locale.ROOT)) {
          case "jwt" -> Mode.JWT;
          case "none" -> Mode.NONE;
          default ->
              throw new ConfigException(
                  "CHUNK_RELAY_AUTH must be jwt or none, got '" + rawMode + "'");
        };
    Optional<String> secret = in.optional("CHUNK_RELAY_JWT_SECRET");
    Optional<String> publicKey =
        in.pem("CHUNK_RELAY_JWT_PUBLIC_KEY", "a public key (or a certificate holding one)");
    Optional<URI> jwks = in.optional("CHUNK_RELAY_JWT_JWKS_URL").map(AuthSettings::jwksUrl);
    long sources =
        (secret.isPresent() ? 1 : 0) + (publicKey.isPresent() ? 1 : 0) + jwks.stream().count();
    if (mode == Mode.JWT && sources == 0) {
      throw new ConfigException(
          "CHUNK_RELAY_AUTH is jwt (the default of a deployed node) but no key is set: set"
              + " CHUNK_RELAY_JWT_SECRET (HS256, at least "
              + MIN_SECRET_BYTES
              + " bytes), CHUNK_RELAY_JWT_PUBLIC_KEY (RS256/ES256 PEM) or CHUNK_RELAY_JWT_JWKS_URL;"
              + " or set CHUNK_RELAY_AUTH=none to let anyone who reaches the node read and write"
              + " every stream");
    }
    if (sources > 1) {
      throw new ConfigException(
          "set only one of CHUNK_RELAY_JWT_SECRET, CHUNK_RELAY_JWT_PUBLIC_KEY and"
              + " CHUNK_RELAY_JWT_JWKS_URL: one key source means one set of accepted algorithms");
    }
    secret
        .filter(value -> value.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES)
        .ifPresent(
            value -> {
              throw new ConfigException(
                  "CHUNK_RELAY_JWT_SECRET must have at least "
                      + MIN_SECRET_BYTES
                      + " bytes (e.g. openssl rand -base64 48), got "
                      + value.getBytes(StandardCharsets.UTF_8).length);
            });
    return new AuthSettings(
        mode,
        secret,
        publicKey,
        jwks,
        in.optional("CHUNK_RELAY_JWT_ISSUER"),
        in.optional("CHUNK_RELAY_JWT_AUDIENCE"),
        in.integer("CHUNK_RELAY_JWT_CLOCK_SKEW_SECONDS", DEFAULT_CLOCK_SKEW_SECONDS, 0, 600),
        in.optional("CHUNK_RELAY_ALLOWED_ORIGINS").map(AuthSettings::origins).orElse(List.of()));
  }

  private static URI jwksUrl(String value) {
    try {
      URI uri = new URI(value);
      boolean loopback =
          "http".equals(uri.getScheme())
              && ("127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost()));
      if (uri.getHost() != null && ("https".equals(uri.getScheme()) || loopback)) {
        return uri;
      }
    } catch (URISyntaxException malformed) {
      // reported below
    }
    throw new ConfigException(
        "CHUNK_RELAY_JWT_JWKS_URL must be an https URL (http only on the loopback address), got '"
            + value
            + "'");
  }

  private static List<String> origins(String value) {
    List<String> origins =
        Arrays.stream(value.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
    for (String origin : origins) {
      if (!origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
        throw new ConfigException(
            "CHUNK_RELAY_ALLOWED_ORIGINS must list origins like https://app.example.com or"
                + " http://localhost:3000, separated by commas; got '"
                + origin
                + "'");
      }
    }
    return origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
  }

  @Override
  public String toString() {
    // Never print the secret.
    return "auth "
        + mode.settingValue()
        + (mode == Mode.NONE
            ? ""
            : jwtSecret.isPresent()
                ? " (HS256 secret)"
                : jwtPublicKeyPem.isPresent()
                    ? " (public key)"
                    : " (JWKS " + jwksUrl.map(URI::toString).orElse("") + ")");
  }
}
