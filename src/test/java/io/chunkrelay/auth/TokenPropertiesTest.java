package io.chunkrelay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.wire.ProblemType;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the token check: whatever a caller sends, it is refused with a 401 code or granted
 * exactly what its signed claims say, never more.
 */
class TokenPropertiesTest {
  private static final Access ACCESS =
      Access.of(
          Tokens.settings(Map.of("CHUNK_RELAY_JWT_SECRET", Tokens.SECRET)),
          Clock.fixed(Tokens.NOW, ZoneOffset.UTC));
  private static final Set<ProblemType> UNAUTHENTICATED =
      Set.of(ProblemType.MISSING_TOKEN, ProblemType.INVALID_TOKEN, ProblemType.TOKEN_EXPIRED);

  @Property(tries = 500)
  void anArbitraryHeaderIsRefusedAs401(@ForAll("headers") String header) {
    try {
      ACCESS.authenticate(
          new Credentials(List.of(header), List.of(), Optional.empty(), role -> false));
      throw new AssertionError("granted: " + header);
    } catch (Denied denied) {
      assertTrue(UNAUTHENTICATED.contains(denied.type()), denied.type().code());
    }
  }

  @Property(tries = 300)
  void aMangledGoodTokenIsNeverGranted(
      @ForAll("positions") int position, @ForAll("base64url") char replacement) {
    String token =
        Tokens.hs256(Tokens.claims("produce", List.of("a")).claim("streams", List.of("a")));
    int at = position % token.length();
    if (token.charAt(at) == replacement || token.charAt(at) == '.') {
      return;
    }
    String mangled = token.substring(0, at) + replacement + token.substring(at + 1);
    try {
      Grant grant = ACCESS.authenticate(AccessTest.bearer(mangled));
      // Base64url's last character of a part can carry unused bits: the same bytes, same grant.
      assertEquals(Set.of(Scope.PRODUCE), grant.scopes());
      assertTrue(grant.allows(Scope.PRODUCE, "a") && !grant.allows(Scope.PRODUCE, "b"));
    } catch (Denied denied) {
      assertEquals(ProblemType.INVALID_TOKEN, denied.type());
    }
  }

  @Property(tries = 300)
  void aSignedGrantCoversExactlyWhatItsPatternsName(
      @ForAll("scopeClaims") String scope,
      @ForAll("patternLists") List<String> patterns,
      @ForAll("streamIds") String streamId) {
    Grant grant =
        ACCESS.authenticate(AccessTest.bearer(Tokens.hs256(Tokens.claims(scope, patterns))));
    boolean covered =
        patterns.stream()
            .anyMatch(
                p ->
                    p.endsWith("*")
                        ? streamId.startsWith(p.substring(0, p.length() - 1))
                        : streamId.equals(p));
    for (Scope each : Scope.values()) {
      boolean named = List.of(scope.split(" ")).contains(each.claimValue());
      assertEquals(
          named && covered, grant.allows(each, streamId), each + " " + patterns + " " + streamId);
    }
  }

  @Provide
  Arbitrary<String> headers() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(300),
        Arbitraries.strings().ofMaxLength(300).map(s -> "Bearer " + s),
        Arbitraries.strings()
            .withChars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")
            .ofMaxLength(400)
            .map(s -> "Bearer " + s));
  }

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 10_000);
  }

  @Provide
  Arbitrary<Character> base64url() {
    return Arbitraries.chars()
        .with("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray());
  }

  @Provide
  Arbitrary<String> scopeClaims() {
    return Arbitraries.of("produce", "subscribe", "admin", "read", "produce:all", "PRODUCE", "")
        .list()
        .ofMaxSize(4)
        .map(words -> String.join(" ", words));
  }

  @Provide
  Arbitrary<List<String>> patternLists() {
    Arbitrary<String> id = Arbitraries.strings().withChars("ab-.").ofMinLength(1).ofMaxLength(3);
    return Arbitraries.oneOf(id, id.map(s -> s + "*"), Arbitraries.just("*")).list().ofMaxSize(3);
  }

  @Provide
  Arbitrary<String> streamIds() {
    return Arbitraries.strings().withChars("ab-.").ofMinLength(1).ofMaxLength(4);
  }
}
