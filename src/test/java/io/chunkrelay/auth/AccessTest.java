package io.chunkrelay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.PlainJWT;
import com.sun.net.httpserver.HttpServer;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.wire.ProblemType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The door check with tokens signed for real: every token fault is refused with its code. */
class AccessTest {
  private static final Clock CLOCK = Clock.fixed(Tokens.NOW, ZoneOffset.UTC);
  private static final KeyPair RSA = Tokens.rsa(2048);
  private static final KeyPair OTHER_RSA = Tokens.rsa(2048);
  private static final Access HS =
      Access.of(
          Tokens.settings(
              Map.of(
                  "CHUNK_RELAY_JWT_SECRET", Tokens.SECRET,
                  "CHUNK_RELAY_JWT_AUDIENCE", "chunk-relay",
                  "CHUNK_RELAY_JWT_ISSUER", "https://id.example.com/")),
          CLOCK);
  private static final Access RS =
      Access.of(Tokens.settings(Map.of("CHUNK_RELAY_JWT_PUBLIC_KEY", Tokens.pem(RSA))), CLOCK);

  private static com.nimbusds.jwt.JWTClaimsSet.Builder good() {
    return Tokens.claims("produce subscribe", List.of("chat-1", "team-a-*"))
        .audience("chunk-relay")
        .issuer("https://id.example.com/");
  }

  static Stream<Arguments> refusedTokens() {
    String valid = Tokens.hs256(good());
    String[] parts = valid.split("\\.");
    String tamperedPayload =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                    .replace("team-a-*", "*")
                    .getBytes(StandardCharsets.UTF_8));
    return Stream.of(
        Arguments.of("malformed", "not.a.jwt", ProblemType.INVALID_TOKEN),
        Arguments.of("empty", "", ProblemType.INVALID_TOKEN),
        Arguments.of(
            "bad signature",
            Tokens.hs256(good(), Tokens.SECRET + "-other"),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "alg none", new PlainJWT(good().build()).serialize(), ProblemType.INVALID_TOKEN),
        Arguments.of(
            "alg none with a signature part",
            new PlainJWT(good().build()).serialize() + parts[2],
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "tampered claims",
            parts[0] + "." + tamperedPayload + "." + parts[2],
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "expired",
            Tokens.hs256(good().expirationTime(Date.from(Tokens.NOW.minusSeconds(31)))),
            ProblemType.TOKEN_EXPIRED),
        Arguments.of(
            "not yet valid",
            Tokens.hs256(good().notBeforeTime(Date.from(Tokens.NOW.plusSeconds(60)))),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "no exp", Tokens.hs256(good().expirationTime(null)), ProblemType.INVALID_TOKEN),
        Arguments.of("no sub", Tokens.hs256(good().subject(null)), ProblemType.INVALID_TOKEN),
        Arguments.of(
            "wrong audience",
            Tokens.hs256(good().audience("someone-else")),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "wrong issuer",
            Tokens.hs256(good().issuer("https://evil.example/")),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "scope not a string",
            Tokens.hs256(good().claim("scope", List.of("produce"))),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "star inside a pattern",
            Tokens.hs256(good().claim("streams", List.of("a*b"))),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "pattern outside the id grammar",
            Tokens.hs256(good().claim("streams", List.of("../x"))),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "RS256 token for an HS256 node",
            Tokens.rs256(good(), RSA, null),
            ProblemType.INVALID_TOKEN),
        Arguments.of(
            "oversized", "x".repeat(TokenVerifier.MAX_TOKEN_CHARS + 1), ProblemType.INVALID_TOKEN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTokens")
  void aFaultyTokenIsRefusedWithItsCode(String fault, String token, ProblemType expected) {
    Denied denied = assertThrows(Denied.class, () -> HS.authenticate(bearer(token)));
    assertEquals(expected, denied.type(), fault);
    if (expected == ProblemType.INVALID_TOKEN) {
      // One message for every fault: the refusal does not say which check failed.
      assertEquals("the token could not be verified", denied.getMessage(), fault);
    }
  }

  @Test
  void aGoodTokenGrantsExactlyItsScopesOnItsStreams() {
    Grant grant = HS.authenticate(bearer(Tokens.hs256(good())));
    assertEquals(Optional.of("svc-writer"), grant.subject());
    assertTrue(grant.allows(Scope.PRODUCE, "chat-1"));
    assertTrue(grant.allows(Scope.SUBSCRIBE, "team-a-7"));
    assertFalse(grant.allows(Scope.ADMIN, "chat-1"), "no scope implies another");
    assertFalse(grant.allows(Scope.PRODUCE, "chat-10"), "an exact id is not a prefix");
    assertFalse(grant.allows(Scope.PRODUCE, "team-b-1"), "a* must not grant b");
    assertFalse(grant.allows(Scope.PRODUCE, "team-a"), "the prefix includes its dash");
    assertEquals(
        ProblemType.STREAM_NOT_ALLOWED,
        assertThrows(Denied.class, () -> grant.require(Scope.PRODUCE, "other")).type());
    assertEquals(
        ProblemType.SCOPE_NOT_ALLOWED,
        assertThrows(Denied.class, () -> grant.require(Scope.ADMIN)).type());
  }

  @Test
  void aRememberedTokenStillExpiresOnTime() {
    java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
        new java.util.concurrent.atomic.AtomicReference<>(Tokens.NOW);
    Clock moving =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public java.time.Instant instant() {
            return now.get();
          }
        };
    Access access =
        Access.of(Tokens.settings(Map.of("CHUNK_RELAY_JWT_SECRET", Tokens.SECRET)), moving);
    String token = Tokens.hs256(Tokens.claims("produce", List.of("a")));
    assertEquals(Optional.of("svc-writer"), access.authenticate(bearer(token)).subject());
    assertEquals(Optional.of("svc-writer"), access.authenticate(bearer(token)).subject());
    // An hour and the 30 s of skew later, the same string is refused though it was remembered.
    now.set(Tokens.NOW.plusSeconds(3600 + 31));
    assertEquals(
        ProblemType.TOKEN_EXPIRED,
        assertThrows(Denied.class, () -> access.authenticate(bearer(token))).type());
    assertEquals(
        ProblemType.TOKEN_EXPIRED,
        assertThrows(Denied.class, () -> access.authenticate(bearer(token))).type());
  }

  @Test
  void clockSkewForgivesAJustExpiredToken() {
    String justExpired =
        Tokens.hs256(good().expirationTime(Date.from(Tokens.NOW.minusSeconds(20))));
    assertEquals(Optional.of("svc-writer"), HS.authenticate(bearer(justExpired)).subject());
  }

  @Test
  void aTokenWithoutScopeOrStreamsGrantsNothing() {
    Grant grant =
        HS.authenticate(bearer(Tokens.hs256(good().claim("scope", null).claim("streams", null))));
    for (Scope scope : Scope.values()) {
      assertFalse(grant.allows(scope, "chat-1"));
    }
  }

  @Test
  void missingMisplacedAndDoubledTokensAreRefused() {
    String token = Tokens.hs256(good());
    assertEquals(
        ProblemType.MISSING_TOKEN,
        assertThrows(Denied.class, () -> HS.authenticate(credentials(List.of(), List.of())))
            .type());
    assertEquals(
        ProblemType.INVALID_TOKEN,
        assertThrows(
                Denied.class,
                () -> HS.authenticate(credentials(List.of("Basic " + token), List.of())))
            .type());
    assertEquals(
        ProblemType.INVALID_TOKEN,
        assertThrows(
                Denied.class,
                () -> HS.authenticate(credentials(List.of("Bearer " + token), List.of(token))))
            .type());
    assertEquals(
        Optional.of("svc-writer"),
        HS.authenticate(credentials(List.of(), List.of(token))).subject(),
        "a WebSocket handshake may carry the token in the query or a subprotocol");
    assertEquals(
        Optional.of("svc-writer"),
        HS.authenticate(credentials(List.of("bearer " + token), List.of())).subject(),
        "the scheme is case-insensitive");
  }

  @Test
  void anRsaNodeAcceptsRs256AndRefusesAlgorithmConfusion() throws Exception {
    Grant grant = RS.authenticate(bearer(Tokens.rs256(good(), RSA, null)));
    assertEquals(Optional.of("svc-writer"), grant.subject());
    assertEquals(
        ProblemType.INVALID_TOKEN,
        assertThrows(
                Denied.class, () -> RS.authenticate(bearer(Tokens.rs256(good(), OTHER_RSA, null))))
            .type());
    // HS256 "signed" with the public key itself, as text and as DER: the classic confusion attack.
    for (byte[] key :
        List.of(
            Tokens.pem(RSA).getBytes(StandardCharsets.US_ASCII), RSA.getPublic().getEncoded())) {
      String confused = Tokens.sign(good(), new MACSigner(key), JWSAlgorithm.HS256, null);
      assertEquals(
          ProblemType.INVALID_TOKEN,
          assertThrows(Denied.class, () -> RS.authenticate(bearer(confused))).type());
    }
  }

  @Test
  void anEcNodeAcceptsEs256() {
    KeyPair ec = Tokens.p256();
    Access access =
        Access.of(Tokens.settings(Map.of("CHUNK_RELAY_JWT_PUBLIC_KEY", Tokens.pem(ec))), CLOCK);
    assertEquals(
        Optional.of("svc-writer"), access.authenticate(bearer(Tokens.es256(good(), ec))).subject());
  }

  @Test
  void weakOrForeignKeysFailAtStartUpNamingTheSetting() {
    for (Supplier<Map<String, String>> settings :
        List.<Supplier<Map<String, String>>>of(
            () -> Map.of("CHUNK_RELAY_JWT_PUBLIC_KEY", Tokens.pem(Tokens.rsa(1024))),
            () ->
                Map.of(
                    "CHUNK_RELAY_JWT_PUBLIC_KEY",
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            () -> Map.of("CHUNK_RELAY_JWT_PUBLIC_KEY", "/nonexistent/key.pem"),
            () -> Map.of("CHUNK_RELAY_JWT_SECRET", "too-short"),
            () -> Map.of(),
            () ->
                Map.of(
                    "CHUNK_RELAY_JWT_SECRET",
                    Tokens.SECRET,
                    "CHUNK_RELAY_JWT_PUBLIC_KEY",
                    Tokens.pem(RSA)),
            () -> Map.of("CHUNK_RELAY_JWT_JWKS_URL", "http://id.example.com/jwks"))) {
      ConfigException failure =
          assertThrows(
              ConfigException.class, () -> Access.of(Tokens.settings(settings.get()), CLOCK));
      assertTrue(failure.getMessage().contains("CHUNK_RELAY_"), failure.getMessage());
    }
  }

  @Test
  void aJwksNodeFetchesKeysAndRefreshesOnAnUnknownKid() throws Exception {
    AtomicReference<JWKSet> published =
        new AtomicReference<>(
            new JWKSet(
                new RSAKey.Builder((java.security.interfaces.RSAPublicKey) RSA.getPublic())
                    .keyID("k1")
                    .build()));
    AtomicReference<Integer> fetches = new AtomicReference<>(0);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/jwks",
        exchange -> {
          fetches.updateAndGet(n -> n + 1);
          byte[] body = published.get().toString().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      Access access =
          Access.of(
              Tokens.settings(
                  Map.of(
                      "CHUNK_RELAY_JWT_JWKS_URL",
                      "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks")),
              Clock.systemUTC());
      com.nimbusds.jwt.JWTClaimsSet.Builder now =
          good()
              .issueTime(new Date())
              .expirationTime(new Date(System.currentTimeMillis() + 60_000));
      assertEquals(
          Optional.of("svc-writer"),
          access.authenticate(bearer(Tokens.rs256(now, RSA, "k1"))).subject());
      assertEquals(
          Optional.of("svc-writer"),
          access.authenticate(bearer(Tokens.rs256(now, RSA, "k1"))).subject());
      assertEquals(1, fetches.get(), "the key set is cached");
      // The provider rotates to k2; a k2 token makes the node fetch once more.
      published.set(
          new JWKSet(
              new RSAKey.Builder((java.security.interfaces.RSAPublicKey) OTHER_RSA.getPublic())
                  .keyID("k2")
                  .build()));
      assertEquals(
          Optional.of("svc-writer"),
          access.authenticate(bearer(Tokens.rs256(now, OTHER_RSA, "k2"))).subject());
      assertEquals(2, fetches.get());
      // Unknown kids cannot make the node hammer the provider: refreshes are rate-limited.
      for (int i = 0; i < 5; i++) {
        String unknown = Tokens.rs256(now, RSA, "k-unknown-" + i);
        assertEquals(
            ProblemType.INVALID_TOKEN,
            assertThrows(Denied.class, () -> access.authenticate(bearer(unknown))).type());
      }
      assertTrue(fetches.get() <= 3, "fetches: " + fetches.get());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void containerRolesGrantTheirScopeOnEveryStreamWithoutAToken() {
    Credentials producer =
        new Credentials(
            List.of(),
            List.of(),
            Optional.of("alice"),
            role -> role.equals("chunk-relay-producer"));
    Grant grant = HS.authenticate(producer);
    assertEquals(Optional.of("alice"), grant.subject());
    assertTrue(grant.allows(Scope.PRODUCE, "any-stream"));
    assertFalse(grant.allows(Scope.SUBSCRIBE, "any-stream"));
    Credentials noRole = new Credentials(List.of(), List.of(), Optional.of("bob"), role -> false);
    assertEquals(
        ProblemType.MISSING_TOKEN,
        assertThrows(Denied.class, () -> HS.authenticate(noRole)).type());
  }

  @Test
  void withoutAuthEveryoneMayDoEverythingAndNobodyIsNamed() {
    Access none = Access.of(Tokens.settings(Map.of("CHUNK_RELAY_AUTH", "none")), CLOCK);
    Grant grant = none.authenticate(credentials(List.of(), List.of()));
    assertEquals(Optional.empty(), grant.subject());
    assertTrue(grant.allows(Scope.ADMIN, "x"));
    assertFalse(none.required());
  }

  @Test
  void onlyTheNodesOwnAndListedOriginsPass() {
    Access access =
        Access.of(
            Tokens.settings(
                Map.of(
                    "CHUNK_RELAY_JWT_SECRET",
                    Tokens.SECRET,
                    "CHUNK_RELAY_ALLOWED_ORIGINS",
                    "https://app.example.com, http://localhost:3000")),
            CLOCK);
    Optional<String> host = Optional.of("relay.example.com");
    access.checkOrigin(Optional.empty(), host);
    access.checkOrigin(Optional.of("https://relay.example.com"), host);
    access.checkOrigin(Optional.of("http://relay.example.com:80"), host);
    access.checkOrigin(Optional.of("https://APP.example.com"), host);
    access.checkOrigin(Optional.of("http://localhost:3000"), Optional.of("127.0.0.1:8080"));
    for (String evil :
        List.of(
            "https://evil.example",
            "null",
            "https://relay.example.com.evil.example",
            "https://app.example.com:444",
            "file://",
            "http://localhost:3001")) {
      assertEquals(
          ProblemType.ORIGIN_NOT_ALLOWED,
          assertThrows(Denied.class, () -> access.checkOrigin(Optional.of(evil), host)).type(),
          evil);
    }
  }

  @Test
  void mintedTokensAreAcceptedForWhatTheyName() {
    TokenMinter minter = HS.minter().orElseThrow();
    String token =
        minter.mint(
            "demo-page",
            Set.of(Scope.SUBSCRIBE),
            List.of("demo-1"),
            java.time.Duration.ofMinutes(5));
    Grant grant = HS.authenticate(bearer(token));
    assertTrue(grant.allows(Scope.SUBSCRIBE, "demo-1"));
    assertFalse(grant.allows(Scope.SUBSCRIBE, "demo-2"));
    assertFalse(grant.allows(Scope.PRODUCE, "demo-1"));
    assertTrue(RS.minter().isEmpty(), "a node with only a public key cannot sign");
  }

  static Credentials bearer(String token) {
    return credentials(List.of("Bearer " + token), List.of());
  }

  static Credentials credentials(List<String> headers, List<String> handshakeTokens) {
    return new Credentials(headers, handshakeTokens, Optional.empty(), role -> false);
  }
}
