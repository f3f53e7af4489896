package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.ChunkedPost;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.RawWebSocket;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.it.support.WsClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hostile input, one table, against the WAR as it is deployed (tokens required): each case is sent
 * over HTTP or WebSocket to a stream of its own (holding one chunk first when the case needs an
 * existing stream) and must get its status (or close code) and stable code, leave that stream
 * exactly as it was (by SQL), and leave the node serving a well-behaved producer right after.
 */
@ExtendWith(ArquillianExtension.class)
class HostileInputIT {
  private static final String JSON = "application/json";
  private static final String OK_CHUNK = Http.chunk("m", "fine");

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    // Issuer and audience required too, so tokens for another service are among the faults.
    return Deployments.securedWar(
        Map.of(
            "CHUNK_RELAY_JWT_ISSUER", TestTokens.ISSUER,
            "CHUNK_RELAY_JWT_AUDIENCE", TestTokens.AUDIENCE));
  }

  /** What the node answered: an HTTP status or a WebSocket close code, and the stable code. */
  private record Outcome(int status, String code) {}

  /**
   * One hostile input: sent to a fresh stream holding {@code chunksBefore} chunks.
   *
   * @param status the HTTP status, or the WebSocket close code
   * @param code the problem's or error frame's code; null where the container refuses the request
   *     before the application, with its own page
   */
  private record Case(
      String name,
      int chunksBefore,
      BiFunction<Http, String, Outcome> attempt,
      int status,
      String code) {}

  private static String producer() {
    return TestTokens.token("hostile-producer", "produce subscribe", "hostile-*");
  }

  private static String reader() {
    return TestTokens.token("hostile-reader", "subscribe", "hostile-*");
  }

  private static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // Bodies of an append.
    appendCase(
        cases,
        "NUL in content",
        "{\"messageId\":\"m\",\"content\":\"a\\u0000b\"}",
        400,
        "invalid-chunk");
    appendCase(
        cases,
        "lone high surrogate",
        "{\"messageId\":\"m\",\"content\":\"\\ud800\"}",
        400,
        "invalid-chunk");
    appendCase(
        cases,
        "lone low surrogate",
        "{\"messageId\":\"m\",\"content\":\"x\\udc00\"}",
        400,
        "invalid-chunk");
    appendCase(
        cases,
        "NUL in messageId",
        "{\"messageId\":\"a\\u0000\",\"content\":\"c\"}",
        400,
        "invalid-chunk");
    appendCase(
        cases,
        "arrays nested 10,000 deep",
        "[".repeat(10_000) + "]".repeat(10_000),
        400,
        "malformed-json");
    appendCase(
        cases,
        "objects nested 5,000 deep",
        "{\"messageId\":\"m\",\"content\":\"c\",\"x\":"
            + "{\"a\":".repeat(5_000)
            + "1"
            + "}".repeat(5_001),
        400,
        "malformed-json");
    appendCase(
        cases,
        "10 MB body",
        Http.chunk("m", "x".repeat(10 * 1024 * 1024)),
        413,
        "request-too-large");
    appendCase(
        cases,
        "final is 1e999",
        "{\"messageId\":\"m\",\"content\":\"c\",\"final\":1e999}",
        400,
        "invalid-chunk");
    appendCase(
        cases, "messageId is 1e99", "{\"messageId\":1e99,\"content\":\"c\"}", 400, "invalid-chunk");
    appendCase(
        cases,
        "content is a 400-digit number",
        "{\"messageId\":\"m\",\"content\":" + "9".repeat(400) + "}",
        400,
        "invalid-chunk");
    appendCase(
        cases,
        "content is an array",
        "{\"messageId\":\"m\",\"content\":[\"a\"]}",
        400,
        "invalid-chunk");
    appendCase(cases, "batch of 0", "[]", 400, "invalid-chunk");
    appendCase(
        cases,
        "batch of 100,000",
        "["
            + String.join(
                ",",
                java.util.Collections.nCopies(100_000, "{\"messageId\":\"m\",\"content\":\"\"}"))
            + "]",
        413,
        "batch-too-large");
    appendCase(
        cases,
        "content over 64 KiB",
        Http.chunk("m", "y".repeat(64 * 1024 + 1)),
        413,
        "chunk-too-large");
    appendCase(
        cases,
        "messageId of 129 characters",
        Http.chunk("m".repeat(129), "c"),
        400,
        "invalid-chunk");
    appendCase(cases, "trailing garbage", OK_CHUNK + " trailing", 400, "malformed-json");
    appendCase(
        cases,
        "duplicate keys",
        "{\"messageId\":\"a\",\"messageId\":\"b\",\"content\":\"c\"}",
        400,
        "malformed-json");
    appendCase(
        cases,
        "comment in JSON",
        "{/* hi */\"messageId\":\"m\",\"content\":\"c\"}",
        400,
        "malformed-json");
    appendCase(cases, "truncated", "{\"messageId\":\"m\",\"cont", 400, "malformed-json");
    appendCase(cases, "a bare number", "42", 400, "invalid-chunk");
    appendCase(
        cases,
        "unknown field",
        "{\"messageId\":\"m\",\"content\":\"c\",\"seq\":1}",
        400,
        "invalid-chunk");
    // Headers and media types of an append.
    cases.add(append("text/plain", OK_CHUNK, "text/plain", 415, "unsupported-media-type"));
    cases.add(
        append("application/xml", OK_CHUNK, "application/xml", 415, "unsupported-media-type"));
    cases.add(
        append(
            "UTF-16 JSON",
            OK_CHUNK,
            "application/json; charset=UTF-16",
            415,
            "unsupported-media-type"));
    cases.add(
        append(
            "ndjson in Latin-1",
            OK_CHUNK + "\n",
            "application/x-ndjson; charset=ISO-8859-1",
            415,
            "unsupported-media-type"));
    cases.add(
        append(
            "ndjson whose first line is bad",
            "{\"messageId\":\n",
            "application/x-ndjson",
            400,
            "malformed-json"));
    cases.add(
        append(
            "7 KiB Idempotency-Key",
            OK_CHUNK,
            JSON,
            400,
            "invalid-idempotency-key",
            "Idempotency-Key",
            "k".repeat(7 * 1024)));
    cases.add(
        append(
            "two Idempotency-Keys",
            OK_CHUNK,
            JSON,
            400,
            "invalid-idempotency-key",
            "Idempotency-Key",
            "a",
            "Idempotency-Key",
            "b"));
    cases.add(
        append(
            "Producer-Id alone",
            OK_CHUNK,
            JSON,
            400,
            "invalid-producer-headers",
            "Producer-Id",
            "p1"));
    cases.add(
        append(
            "Producer-Epoch 1e99",
            OK_CHUNK,
            JSON,
            400,
            "invalid-producer-headers",
            "Producer-Id",
            "p1",
            "Producer-Epoch",
            "1e99",
            "Producer-Seq",
            "0"));
    cases.add(
        append(
            "Producer-Seq negative",
            OK_CHUNK,
            JSON,
            400,
            "invalid-producer-headers",
            "Producer-Id",
            "p1",
            "Producer-Epoch",
            "0",
            "Producer-Seq",
            "-1"));
    // A producer's first append with a hole before it: refused, and no empty stream left behind.
    cases.add(
        append(
            "a new stream's first producer append at Producer-Seq 5",
            OK_CHUNK,
            JSON,
            409,
            "producer-seq-gap",
            "Producer-Id",
            "p1",
            "Producer-Epoch",
            "0",
            "Producer-Seq",
            "5"));
    cases.add(
        append(
            "producer headers and an Idempotency-Key",
            OK_CHUNK,
            JSON,
            400,
            "invalid-producer-headers",
            "Producer-Id",
            "p1",
            "Producer-Epoch",
            "0",
            "Producer-Seq",
            "0",
            "Idempotency-Key",
            "k"));
    // Methods.
    for (String method : List.of("PUT", "DELETE", "PATCH")) {
      cases.add(
          new Case(
              method + " on chunks",
              1,
              (http, stream) ->
                  outcome(
                      http.send(
                          request(http, "api/streams/" + stream + "/chunks", producer())
                              .method(method, HttpRequest.BodyPublishers.ofString(OK_CHUNK))
                              .header("Content-Type", JSON)
                              .build())),
              405,
              "method-not-allowed"));
    }
    cases.add(
        new Case(
            "complete as a cross-site form",
            1,
            (http, stream) ->
                outcome(
                    http.send(
                        request(http, "api/streams/" + stream + "/complete", producer())
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("a=1"))
                            .build())),
            415,
            "unsupported-media-type"));
    // Stream ids, sent as written.
    cases.add(rawAppend("id '..'", "api/streams/../chunks", 404, "not-found"));
    cases.add(rawAppend("empty id", "api/streams//chunks", 404, "not-found"));
    cases.add(
        rawAppend(
            "id of 129 characters",
            "api/streams/" + "x".repeat(129) + "/chunks",
            400,
            "invalid-stream-id"));
    cases.add(rawAppend("id with a space", "api/streams/a%20b/chunks", 400, "invalid-stream-id"));
    cases.add(
        rawAppend(
            "id with a non-ASCII letter",
            "api/streams/caf%C3%A9/chunks",
            400,
            "invalid-stream-id"));
    cases.add(rawAppend("id with an encoded slash", "api/streams/a%2Fb/chunks", 400, null));
    cases.add(rawAppend("id with an encoded NUL", "api/streams/a%00b/chunks", 400, null));
    // Query parameters of a read.
    for (String query :
        List.of(
            "after=-1",
            "after=abc",
            "after=1e99",
            "after=99999999999999999999",
            "limit=-5",
            "limit=abc",
            "limit=1e99",
            "limit=0",
            "after=0&after=1")) {
      cases.add(
          new Case(
              "list " + query,
              1,
              (http, stream) ->
                  outcome(
                      http.send(
                          request(http, "api/streams/" + stream + "/chunks?" + query, reader())
                              .build())),
              400,
              "invalid-parameter"));
    }
    // WebSocket: the handshake's query, and frames the server does not expect.
    for (String after : List.of("-1", "abc", "1e99", "999")) {
      cases.add(
          new Case(
              "ws after=" + after,
              1,
              (http, stream) -> socket(http, "ws/streams/" + stream + "?after=" + after, reader()),
              1008,
              after.equals("999") ? "after-beyond-head" : "invalid-parameter"));
    }
    cases.add(
        new Case(
            "ws id of 129 characters",
            0,
            (http, stream) -> socket(http, "ws/streams/" + "x".repeat(129), reader()),
            1008,
            "invalid-stream-id"));
    cases.add(
        frameCase(
            "ws text frame from the client",
            1,
            "hello".getBytes(StandardCharsets.UTF_8),
            true,
            1003,
            "unexpected-frame"));
    cases.add(
        frameCase(
            "ws binary frame from the client",
            2,
            new byte[] {1, 2, 3},
            true,
            1003,
            "unexpected-frame"));
    cases.add(
        frameCase(
            "ws unmasked frame", 1, "hello".getBytes(StandardCharsets.UTF_8), false, 1002, null));
    cases.add(frameCase("ws unmasked ping", 9, new byte[0], false, 1002, null));
    cases.add(frameCase("ws 64 KiB frame", 2, new byte[64 * 1024], true, 1003, "unexpected-frame"));
    cases.add(frameCase("ws 64 KiB + 1 frame", 2, new byte[64 * 1024 + 1], true, 1009, null));
    cases.add(frameCase("ws 5 MiB frame", 1, new byte[5 * 1024 * 1024], true, 1009, null));
    cases.add(frameCase("ws 16 MiB frame", 2, new byte[16 * 1024 * 1024], true, 1009, null));
    // Credentials.
    cases.add(tokenCase("no token", null, 401, "missing-token"));
    cases.add(tokenCase("malformed token", "not-a-jwt", 401, "invalid-token"));
    cases.add(
        tokenCase(
            "bad signature",
            TestTokens.sign(
                TestTokens.claims("x", "produce", "hostile-*"),
                "another-secret-of-at-least-32-bytes!!"),
            401,
            "invalid-token"));
    cases.add(
        tokenCase(
            "alg none",
            new PlainJWT(TestTokens.claims("x", "produce", "hostile-*").build()).serialize(),
            401,
            "invalid-token"));
    cases.add(
        claimsCase(
            "expired token",
            claims -> claims.expirationTime(Date.from(Instant.now().minusSeconds(300))),
            "token-expired"));
    cases.add(
        claimsCase(
            "not yet valid",
            claims -> claims.notBeforeTime(Date.from(Instant.now().plusSeconds(300))),
            "invalid-token"));
    cases.add(
        claimsCase("wrong audience", claims -> claims.audience("another-api"), "invalid-token"));
    cases.add(claimsCase("no audience", claims -> claims.audience((String) null), "invalid-token"));
    cases.add(
        claimsCase(
            "wrong issuer", claims -> claims.issuer("https://evil.example/"), "invalid-token"));
    cases.add(
        tokenCase(
            "RS256 token for an HS256 node",
            rs256(TestTokens.claims("x", "produce", "hostile-*")),
            401,
            "invalid-token"));
    cases.add(tokenCase("tampered claims", widened(), 401, "invalid-token"));
    cases.add(tokenCase("subscribe scope appending", reader(), 403, "scope-not-allowed"));
    cases.add(
        tokenCase(
            "another stream's token",
            TestTokens.token("x", "produce", "elsewhere"),
            403,
            "stream-not-allowed"));
    cases.add(
        tokenCase(
            "prefix of another stream",
            TestTokens.token("x", "produce", "hostile-zzz*"),
            403,
            "stream-not-allowed"));
    cases.add(
        tokenCase(
            "star inside a pattern",
            TestTokens.token("x", "produce", "host*ile"),
            401,
            "invalid-token"));
    cases.add(
        new Case(
            "ws without a token",
            1,
            (http, stream) -> socket(http, "ws/streams/" + stream + "?after=0", null),
            401,
            null));
    cases.add(
        new Case(
            "ws with another stream's token",
            1,
            (http, stream) ->
                socket(
                    http,
                    "ws/streams/" + stream + "?after=0",
                    TestTokens.token("x", "subscribe", "elsewhere")),
            4403,
            "stream-not-allowed"));
    cases.add(
        new Case(
            "ws with a producer's token",
            1,
            (http, stream) ->
                socket(
                    http,
                    "ws/streams/" + stream + "?after=0",
                    TestTokens.token("x", "produce", "hostile-*")),
            4403,
            "scope-not-allowed"));
    cases.add(
        new Case(
            "ws from a foreign page",
            1,
            (http, stream) -> {
              try (WsClient client =
                  WsClient.connect(
                      URI.create(
                          http.base() + "ws/streams/" + stream + "?access_token=" + reader()),
                      Map.of("Origin", "https://evil.example"),
                      List.of())) {
                return new Outcome(101, null);
              } catch (WsClient.Refused refused) {
                return new Outcome(refused.status(), null);
              }
            },
            403,
            null));
    return cases;
  }

  @Test
  void everyHostileInputIsRefusedWithItsCodeChangesNothingAndLeavesTheNodeServing() {
    Http http = new Http(base);
    List<Case> cases = cases();
    assertTrue(cases.size() >= 60, "the suite tries " + cases.size() + " inputs");
    List<String> failures = new ArrayList<>();
    int index = 0;
    for (Case hostile : cases) {
      String stream = "hostile-" + index++ + "-" + UUID.randomUUID().toString().substring(0, 8);
      for (int i = 0; i < hostile.chunksBefore(); i++) {
        assertEquals(
            201,
            http.postJson(
                    "api/streams/" + stream + "/chunks",
                    Http.chunk("m", "before"),
                    TestTokens.bearer(producer()))
                .status());
      }
      Outcome outcome = hostile.attempt().apply(http, stream);
      if (outcome.status() != hostile.status()
          || (hostile.code() != null && !hostile.code().equals(outcome.code()))) {
        failures.add(
            hostile.name()
                + ": expected "
                + hostile.status()
                + " "
                + hostile.code()
                + ", got "
                + outcome);
      }
      if (ChunkTable.count("chunks", stream) != hostile.chunksBefore()
          || ChunkTable.count("streams", stream) != Math.min(1, hostile.chunksBefore())) {
        failures.add(hostile.name() + ": changed the stream");
      }
      String after = "hostile-after-" + UUID.randomUUID();
      Http.Response served =
          http.postJson(
              "api/streams/" + after + "/chunks",
              Http.chunk("m", "ok"),
              TestTokens.bearer(producer()));
      if (served.status() != 201) {
        failures.add(hostile.name() + ": the next good append got " + served.status());
      }
    }
    assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " cases failed");
  }

  @Test
  void theDemoIsBehindTheDoorAndHandsBackNoMoreThanTheCallerHas() throws Exception {
    Http http = new Http(base);
    Http operator = new Http(base).withBearer(TestTokens.token("ops", "admin"));
    long startedBefore = operator.metric("chunk_relay_demo_replies_started");
    assertDemo(http, null, null, 401, "missing-token");
    assertDemo(http, null, "https://evil.example", 403, "origin-not-allowed");
    assertDemo(
        http, TestTokens.token("visitor", "produce", "demo-*"), null, 403, "scope-not-allowed");
    assertDemo(
        http, TestTokens.token("visitor", "subscribe", "chat-*"), null, 403, "stream-not-allowed");
    assertEquals(
        startedBefore,
        operator.metric("chunk_relay_demo_replies_started"),
        "no refused prompt started a reply");

    Instant callerExpiry = Instant.now().plusSeconds(120);
    String caller =
        TestTokens.sign(
            TestTokens.claims("visitor", "subscribe", "demo-*")
                .expirationTime(Date.from(callerExpiry)));
    Http.Response started =
        http.postJson("demo/replies", "{\"prompt\":\"hello\"}", TestTokens.bearer(caller));
    assertEquals(202, started.status(), started.body());
    JWTClaimsSet minted = SignedJWT.parse(started.json().get("token").asText()).getJWTClaimsSet();
    assertFalse(
        minted.getExpirationTime().toInstant().isAfter(callerExpiry.plusSeconds(1)),
        "the page's token outlives the caller's: " + minted.getExpirationTime());
    assertEquals("subscribe", minted.getStringClaim("scope"));
    assertEquals(
        List.of(started.json().get("streamId").asText()), minted.getStringListClaim("streams"));
    assertEquals("visitor", minted.getSubject());
  }

  private static void assertDemo(Http http, String token, String origin, int status, String code) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(http.base() + "demo/replies"))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", JSON)
            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hello\"}"));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      request.header("Origin", origin);
    }
    Http.Response response = http.send(request.build());
    assertEquals(status, response.status(), token + " " + origin + ": " + response.body());
    assertEquals(code, response.json().get("code").asText());
  }

  @Test
  void floodsOfClientFaultsAndRedisJunkLogAFewLinesAndNoStackTrace() throws Exception {
    java.util.logging.Logger relay = java.util.logging.Logger.getLogger("io.chunkrelay");
    List<java.util.logging.LogRecord> records =
        java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.logging.Handler recorder =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            if (record.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()) {
              records.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    relay.addHandler(recorder);
    Http http = new Http(base);
    String stream = "hostile-flood-" + UUID.randomUUID();
    http.postJson(
        "api/streams/" + stream + "/chunks",
        Http.chunk("m", "before"),
        TestTokens.bearer(producer()));
    try {
      // Fragmented text messages of 96 KiB, each fragment under the frame limit: 1009 each.
      for (int i = 0; i < 10; i++) {
        try (RawWebSocket socket =
            RawWebSocket.open(
                URI.create(
                    http.base() + "ws/streams/" + stream + "?after=1&access_token=" + reader()))) {
          socket.sendInFragments(
              1,
              List.of(
                  "a".repeat(32 * 1024).getBytes(StandardCharsets.UTF_8),
                  "b".repeat(32 * 1024).getBytes(StandardCharsets.UTF_8),
                  "c".repeat(32 * 1024).getBytes(StandardCharsets.UTF_8)));
          assertEquals(1009, socket.answer().closeCode(), "message " + i);
        }
      }
      // Junk on the stream's channel while a subscriber follows it.
      try (WsClient follower =
              WsClient.connect(
                  URI.create(
                      http.base() + "ws/streams/" + stream + "?after=1&access_token=" + reader()));
          redis.clients.jedis.Jedis redis =
              new redis.clients.jedis.Jedis(URI.create(TestServices.redisUrl()))) {
        String channel = TestServices.channelPrefix() + "stream:" + stream;
        io.chunkrelay.testing.Await.until(
            () -> redis.pubsubNumSub(channel).getOrDefault(channel, 0L) > 0,
            Duration.ofSeconds(10));
        String admin = TestTokens.token("ops", "admin");
        Http operator = new Http(base).withBearer(admin);
        long forgedBefore = operator.metric("chunk_relay_live_messages_forged_total");
        for (int i = 0; i < 2_000; i++) {
          redis.publish(channel, i % 2 == 0 ? "junk " + i : "{\"v\":1,\"streamId\":\"" + i);
        }
        io.chunkrelay.testing.Await.until(
            () -> operator.metric("chunk_relay_live_messages_forged_total") >= forgedBefore + 2_000,
            Duration.ofSeconds(20));
      }
    } finally {
      relay.removeHandler(recorder);
    }
    List<String> lines = new ArrayList<>();
    synchronized (records) {
      for (java.util.logging.LogRecord record : records) {
        lines.add(record.getLoggerName() + ": " + record.getMessage());
        assertEquals(null, record.getThrown(), "a stack trace for a client's fault: " + lines);
      }
    }
    // One line a cause at most (others may have been logged earlier this minute): ten refused
    // messages and 2,000 junk messages.
    long faults = lines.stream().filter(line -> line.contains("ended by the client")).count();
    long junk = lines.stream().filter(line -> line.contains("LiveMessages")).count();
    assertTrue(faults <= 1 && junk <= 1, lines.toString());
  }

  @Test
  void aProducerIdBelongsToTheSubjectThatFirstUsedItOnTheStream() {
    Http http = new Http(base);
    String stream = "hostile-owned-" + UUID.randomUUID();
    String[] owner = TestTokens.bearer(TestTokens.token("owner", "produce", "hostile-*"));
    String[] other = TestTokens.bearer(TestTokens.token("other", "produce", "hostile-*"));
    Http.Response first = producerAppend(http, stream, owner, 0, 0, "mine");
    assertEquals(201, first.status(), first.body());

    Http.Response takeover = producerAppend(http, stream, other, (1L << 53) - 1, 0, "taken");
    assertEquals(403, takeover.status(), takeover.body());
    assertEquals("producer-not-owned", takeover.json().get("code").asText());
    assertFalse(takeover.body().contains("owner"), "the owner is not named: " + takeover.body());
    assertEquals(403, producerAppend(http, stream, other, 0, 1, "also taken").status());

    Http.Response next = producerAppend(http, stream, owner, 0, 1, "still mine");
    assertEquals(201, next.status(), "the owner was not fenced out: " + next.body());
    assertEquals(
        List.of("mine", "still mine"),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
  }

  private static Http.Response producerAppend(
      Http http, String stream, String[] bearer, long epoch, long seq, String content) {
    return http.postJson(
        "api/streams/" + stream + "/chunks",
        Http.chunk("m", content),
        bearer[0],
        bearer[1],
        "Producer-Id",
        "writer-1",
        "Producer-Epoch",
        Long.toString(epoch),
        "Producer-Seq",
        Long.toString(seq));
  }

  @Test
  void aStreamedBodyEndsWhenItsTokenExpiresAsAWebSocketDoes() {
    String stream = "hostile-expiring-" + UUID.randomUUID();
    String token =
        TestTokens.sign(
            TestTokens.claims("short-lived", "produce", "hostile-*")
                .expirationTime(Date.from(Instant.now().plusSeconds(3))));
    URI node = URI.create(base.toString());
    try (ChunkedPost post =
        ChunkedPost.open(
            node.getHost(),
            node.getPort(),
            node.getPath() + "api/streams/" + stream + "/chunks",
            "Authorization",
            "Bearer " + token)) {
      post.line(Http.chunk("m", "before the expiry"));
      long started = System.nanoTime();
      ChunkedPost.Answer answer = post.answer();
      long seconds = (System.nanoTime() - started) / 1_000_000_000L;
      assertEquals(401, answer.status(), String.valueOf(answer.json()));
      assertEquals("token-expired", answer.json().get("code").asText());
      assertEquals(1, answer.json().get("count").asLong(), "the line before the expiry is kept");
      assertTrue(answer.headers().get("www-authenticate").contains("invalid_token"));
      assertTrue(seconds <= 5, "ended at the expiry, not at the body's limit: " + seconds + " s");
    }
    assertEquals(1, ChunkTable.count("chunks", stream));
  }

  @Test
  void noRefusalLeaksAStackTrace() {
    Http http = new Http(base);
    Http.Response deep =
        http.postJson(
            "api/streams/hostile-trace/chunks", "[".repeat(5_000), TestTokens.bearer(producer()));
    assertEquals(400, deep.status());
    assertFalse(deep.body().contains("at com.") || deep.body().contains("Exception"), deep.body());
  }

  private static void appendCase(
      List<Case> cases, String name, String body, int status, String code, String... headers) {
    cases.add(append(name, body, JSON, status, code, headers));
  }

  private static Case append(
      String name, String body, String contentType, int status, String code, String... headers) {
    return new Case(
        name,
        0,
        (http, stream) -> {
          HttpRequest.Builder request =
              request(http, "api/streams/" + stream + "/chunks", producer())
                  .header("Content-Type", contentType)
                  .POST(HttpRequest.BodyPublishers.ofString(body));
          for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
          }
          return outcome(http.send(request.build()));
        },
        status,
        code);
  }

  private static Case rawAppend(String name, String path, int status, String code) {
    return new Case(
        name,
        0,
        (http, stream) ->
            outcome(
                http.send(
                    HttpRequest.newBuilder(URI.create(http.base() + path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + producer())
                        .header("Content-Type", JSON)
                        .POST(HttpRequest.BodyPublishers.ofString(OK_CHUNK))
                        .build())),
        status,
        code);
  }

  /** A good producer token with {@code change} made to its claims before it is signed: a 401. */
  private static Case claimsCase(
      String name, UnaryOperator<JWTClaimsSet.Builder> change, String code) {
    return tokenCase(
        name,
        TestTokens.sign(change.apply(TestTokens.claims("x", "produce", "hostile-*"))),
        401,
        code);
  }

  /** A token signed with a fresh RSA key: what an HS256 node must never take (alg confusion). */
  private static String rs256(JWTClaimsSet.Builder claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims.build());
      jwt.sign(new RSASSASigner(new RSAKeyGenerator(2048).generate()));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A good token for one other stream, its streams claim rewritten to all: the signature fails. */
  private static String widened() {
    String[] parts = TestTokens.token("x", "produce", "elsewhere").split("\\.");
    String claims =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("\"elsewhere\"", "\"*\"");
    return parts[0]
        + "."
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + "."
        + parts[2];
  }

  private static Case tokenCase(String name, String token, int status, String code) {
    return new Case(
        name,
        0,
        (http, stream) -> {
          HttpRequest.Builder request =
              HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
                  .timeout(Duration.ofSeconds(10))
                  .header("Content-Type", JSON)
                  .POST(HttpRequest.BodyPublishers.ofString(OK_CHUNK));
          if (token != null) {
            request.header("Authorization", "Bearer " + token);
          }
          return outcome(http.send(request.build()));
        },
        status,
        code);
  }

  private static Case frameCase(
      String name, int opcode, byte[] payload, boolean masked, int close, String code) {
    return new Case(
        name,
        1,
        (http, stream) -> {
          URI uri =
              URI.create(
                  http.base() + "ws/streams/" + stream + "?after=1&access_token=" + reader());
          try (RawWebSocket socket = RawWebSocket.open(uri)) {
            RawWebSocket.Answer answer = socket.send(opcode, payload, masked).answer();
            return new Outcome(answer.closeCode(), answer.errorCode());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        close,
        code);
  }

  private static Outcome socket(Http http, String path, String token) {
    URI uri =
        URI.create(
            http.base()
                + path
                + (token == null
                    ? ""
                    : (path.contains("?") ? "&" : "?") + "access_token=" + token));
    try (WsClient client = WsClient.connect(uri, Map.of(), List.of())) {
      String frame = client.next(Duration.ofSeconds(10));
      String code = frame.replaceAll(".*\"code\":\"([^\"]*)\".*", "$1");
      return new Outcome(client.closeCode(Duration.ofSeconds(10)), code);
    } catch (WsClient.Refused refused) {
      return new Outcome(refused.status(), null);
    }
  }

  private static HttpRequest.Builder request(Http http, String path, String token) {
    return HttpRequest.newBuilder(http.base().resolve(path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
  }

  private static Outcome outcome(Http.Response response) {
    String code = response.json() == null ? null : response.json().path("code").asText(null);
    return new Outcome(response.status(), code);
  }
}
