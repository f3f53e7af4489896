package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.it.support.WsClient;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Promise 9 on a node deployed as a WAR is by default ({@code CHUNK_RELAY_AUTH=jwt}): every token
 * fault is refused with its status and stable code and writes nothing (checked by SQL), a token
 * grants only its scopes on its streams, over HTTP and WebSocket, and a subscription whose token
 * expires is closed with its own code.
 */
@ExtendWith(ArquillianExtension.class)
class AuthIT {
  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.securedWar();
  }

  /** An append with some credential, and what it must be answered. */
  private record Fault(String name, List<String> headers, int status, String code) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Fault fault(String name, String token, int status, String code) {
    return new Fault(name, List.of("Authorization", "Bearer " + token), status, code);
  }

  static Stream<Fault> tokenFaults() {
    JWTClaimsSet.Builder good = TestTokens.claims("svc", "produce subscribe", "auth-*");
    String valid = TestTokens.sign(good);
    String[] parts = valid.split("\\.");
    String widened =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                new String(java.util.Base64.getUrlDecoder().decode(parts[1]))
                    .replace("auth-*", "*")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Instant now = Instant.now();
    return Stream.of(
        new Fault("no token", List.of(), 401, "missing-token"),
        fault("malformed", "abc.def", 401, "invalid-token"),
        fault("empty bearer", "", 401, "invalid-token"),
        fault(
            "bad signature",
            TestTokens.sign(good, TestServices.JWT_SECRET + "-not-ours"),
            401,
            "invalid-token"),
        fault("alg none", new PlainJWT(good.build()).serialize(), 401, "invalid-token"),
        fault("tampered claims", parts[0] + "." + widened + "." + parts[2], 401, "invalid-token"),
        fault(
            "expired",
            TestTokens.sign(
                TestTokens.claims("svc", "produce", "auth-*")
                    .expirationTime(Date.from(now.minusSeconds(120)))),
            401,
            "token-expired"),
        fault(
            "not yet valid",
            TestTokens.sign(
                TestTokens.claims("svc", "produce", "auth-*")
                    .notBeforeTime(Date.from(now.plusSeconds(600)))),
            401,
            "invalid-token"),
        fault(
            "no exp",
            TestTokens.sign(TestTokens.claims("svc", "produce", "auth-*").expirationTime(null)),
            401,
            "invalid-token"),
        new Fault(
            "basic scheme", List.of("Authorization", "Basic dXNlcjpwYXNz"), 401, "invalid-token"),
        new Fault(
            "two tokens",
            List.of("Authorization", "Bearer " + valid, "Authorization", "Bearer " + valid),
            401,
            "invalid-token"),
        fault(
            "wrong scope",
            TestTokens.token("reader", "subscribe", "auth-*"),
            403,
            "scope-not-allowed"),
        fault(
            "other stream",
            TestTokens.token("svc", "produce", "other-1"),
            403,
            "stream-not-allowed"),
        fault("prefix trick", TestTokens.token("svc", "produce", "aut*x"), 401, "invalid-token"),
        fault(
            "prefix of another",
            TestTokens.token("svc", "produce", "b*"),
            403,
            "stream-not-allowed"),
        fault(
            "admin is not produce",
            TestTokens.token("ops", "admin", "*"),
            403,
            "scope-not-allowed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenFaults")
  void aFaultyCredentialIsRefusedWithItsCodeAndWritesNothing(Fault fault) {
    Http http = new Http(base);
    String stream = "auth-" + UUID.randomUUID();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Http.chunk("m1", "forged")));
    for (int i = 0; i < fault.headers().size(); i += 2) {
      request.header(fault.headers().get(i), fault.headers().get(i + 1));
    }
    Http.Response answer = http.send(request.build());
    assertEquals(fault.status(), answer.status(), fault.name() + ": " + answer.body());
    assertTrue(answer.contentType().startsWith("application/problem+json"), answer.contentType());
    assertEquals(fault.code(), answer.json().path("code").asText(), fault.name());
    assertFalse(answer.body().contains("Exception"), answer.body());
    if (fault.status() == 401) {
      assertTrue(answer.header("WWW-Authenticate").startsWith("Bearer"), fault.name());
    }
    assertEquals(0, ChunkTable.count("chunks", stream), fault.name() + " wrote a chunk");
    assertEquals(0, ChunkTable.count("streams", stream), fault.name() + " created the stream");
    // The node still serves a well-behaved producer.
    Http.Response ok =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m1", "real"),
            TestTokens.bearer(TestTokens.token("svc", "produce", "auth-*")));
    assertEquals(201, ok.status(), ok.body());
  }

  @Test
  void everyChunkRecordsTheSubjectThatAppendedIt() {
    Http http = new Http(base);
    String stream = "auth-who-" + UUID.randomUUID();
    http.postJson(
        "api/streams/" + stream + "/chunks",
        Http.chunk("m1", "single"),
        TestTokens.bearer(TestTokens.token("alice", "produce", stream)));
    http.postJson(
        "api/streams/" + stream + "/chunks",
        "[" + Http.chunk("m1", "batch 1") + "," + Http.chunk("m1", "batch 2") + "]",
        TestTokens.bearer(TestTokens.token("bob", "produce", stream)));
    Http.Response streamed =
        http.post(
            "api/streams/" + stream + "/chunks",
            HttpRequest.BodyPublishers.ofString(Http.chunk("m2", "line") + "\n"),
            "Content-Type",
            "application/x-ndjson",
            "Authorization",
            "Bearer " + TestTokens.token("carol", "produce", stream));
    assertEquals(201, streamed.status(), streamed.body());
    Http.Response produced =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m3", "as a producer"),
            "Authorization",
            "Bearer " + TestTokens.token("dave", "produce", stream),
            "Producer-Id",
            "dave-writer",
            "Producer-Epoch",
            "1",
            "Producer-Seq",
            "0");
    assertEquals(201, produced.status(), produced.body());
    assertEquals(List.of("alice", "bob", "bob", "carol", "dave"), ChunkTable.authors(stream));
    List<ChunkTable.Provenance> rows = ChunkTable.provenance(stream);
    assertEquals(null, rows.get(0).producerId(), "no producer headers, no producer");
    assertEquals("dave-writer", rows.get(4).producerId());
    assertEquals(1L, rows.get(4).producerEpoch());
    assertEquals(0L, rows.get(4).producerSeq());
  }

  @Test
  void aTokenGrantsOnlyItsScopesOnItsStreams() {
    Http http = new Http(base);
    String stream = "auth-own-" + UUID.randomUUID();
    String producer = TestTokens.token("writer", "produce", "auth-own-*");
    String reader = TestTokens.token("reader", "subscribe", stream);
    assertEquals(
        201,
        http.postJson(
                "api/streams/" + stream + "/chunks",
                Http.chunk("m1", "hello"),
                TestTokens.bearer(producer))
            .status());
    assertEquals(403, get(http, "api/streams/" + stream + "/chunks", producer).status());
    Http.Response read = get(http, "api/streams/" + stream + "/chunks", reader);
    assertEquals(200, read.status(), read.body());
    assertEquals("hello", read.json().path("chunks").get(0).path("content").asText());
    // A reader of another stream learns nothing, not even whether this one exists.
    String stranger = TestTokens.token("stranger", "subscribe", "elsewhere");
    Http.Response refused = get(http, "api/streams/" + stream, stranger);
    Http.Response missing = get(http, "api/streams/auth-own-never-written", stranger);
    assertEquals(403, refused.status());
    assertEquals(refused.json().path("code"), missing.json().path("code"));
    Http.Response complete =
        http.postJson("api/streams/" + stream + "/complete", "{}", TestTokens.bearer(reader));
    assertEquals("scope-not-allowed", complete.json().path("code").asText());
    assertEquals("open", get(http, "api/streams/" + stream, reader).json().path("status").asText());
  }

  @Test
  void aWebSocketTakesItsTokenFromTheQueryOrASubprotocolAndIsRefusedWithout() throws Exception {
    Http http = new Http(base);
    String stream = "auth-ws-" + UUID.randomUUID();
    String producer = TestTokens.token("writer", "produce", stream);
    http.postJson(
        "api/streams/" + stream + "/chunks", Http.chunk("m1", "one"), TestTokens.bearer(producer));
    URI socket = URI.create(base + "ws/streams/" + stream + "?after=0");
    WsClient.Refused refused =
        assertThrows(WsClient.Refused.class, () -> WsClient.connect(socket).close());
    assertEquals(401, refused.status());

    String reader = TestTokens.token("reader", "subscribe", stream);
    try (WsClient viaQuery =
        WsClient.connect(URI.create(socket + "&access_token=" + reader), Map.of(), List.of())) {
      assertEquals("one", viaQuery.next(Duration.ofSeconds(10)).contains("\"one\"") ? "one" : "");
    }
    try (WsClient viaProtocol =
        WsClient.connect(socket, Map.of(), List.of("chunk-relay", "bearer." + reader))) {
      assertEquals("chunk-relay", viaProtocol.subprotocol());
      assertTrue(viaProtocol.next(Duration.ofSeconds(10)).contains("\"one\""));
    }
    try (WsClient viaHeader =
        WsClient.connect(socket, Map.of("Authorization", "Bearer " + reader), List.of())) {
      assertTrue(viaHeader.next(Duration.ofSeconds(10)).contains("\"one\""));
    }
    String otherStream = TestTokens.token("reader", "subscribe", "auth-ws-other");
    try (WsClient forbidden =
        WsClient.connect(
            URI.create(socket + "&access_token=" + otherStream), Map.of(), List.of())) {
      assertTrue(forbidden.next(Duration.ofSeconds(10)).contains("stream-not-allowed"));
      assertEquals(4403, forbidden.closeCode(Duration.ofSeconds(10)));
    }
    String expired =
        TestTokens.sign(
            TestTokens.claims("reader", "subscribe", stream)
                .expirationTime(Date.from(Instant.now().minusSeconds(120))));
    assertEquals(
        401,
        assertThrows(
                WsClient.Refused.class,
                () ->
                    WsClient.connect(
                        URI.create(socket + "&access_token=" + expired), Map.of(), List.of()))
            .status());
  }

  @Test
  void aSubscriptionWhoseTokenExpiresIsClosedWithItsOwnCode() {
    Http http = new Http(base);
    String stream = "auth-exp-" + UUID.randomUUID();
    String producer = TestTokens.token("writer", "produce", stream);
    http.postJson(
        "api/streams/" + stream + "/chunks",
        Http.chunk("m1", "before"),
        TestTokens.bearer(producer));
    String shortLived =
        TestTokens.sign(
            TestTokens.claims("reader", "subscribe", stream)
                .expirationTime(Date.from(Instant.now().plusSeconds(3))));
    long opened = System.nanoTime();
    try (WsClient client =
        WsClient.connect(
            URI.create(base + "ws/streams/" + stream + "?after=0&access_token=" + shortLived),
            Map.of(),
            List.of())) {
      assertTrue(client.next(Duration.ofSeconds(10)).contains("\"before\""));
      List<String> frames = new ArrayList<>();
      assertEquals(4401, client.closeCode(Duration.ofSeconds(15)));
      assertEquals("token-expired", client.closeReason());
      assertTrue(
          Duration.ofNanos(System.nanoTime() - opened).toMillis() >= 1_500,
          "closed before the token expired");
      frames.add(client.next(Duration.ofSeconds(2)));
      assertTrue(frames.get(0).contains("token-expired"), frames.toString());
    }
  }

  @Test
  void theJavaClientRenewsExpiringTokensAndMissesNothing() throws Exception {
    String stream = "auth-renew-" + UUID.randomUUID();
    java.util.concurrent.atomic.AtomicInteger minted =
        new java.util.concurrent.atomic.AtomicInteger();
    // Every token lives two seconds: the subscription outlives several of them.
    java.util.function.Supplier<String> shortLived =
        () -> {
          minted.incrementAndGet();
          return TestTokens.sign(
              TestTokens.claims("client", "produce subscribe", stream)
                  .expirationTime(Date.from(Instant.now().plusSeconds(2))));
        };
    List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    try (io.chunkrelay.client.ChunkRelayClient client =
        io.chunkrelay.client.ChunkRelayClient.builder(URI.create(base.toString()))
            .tokens(shortLived)
            .build()) {
      io.chunkrelay.client.Subscription subscription =
          client.subscribe(
              stream,
              0,
              new io.chunkrelay.client.Subscription.Listener() {
                @Override
                public void onChunk(io.chunkrelay.client.Chunk chunk) {
                  seqs.add(chunk.seq());
                }

                @Override
                public void onError(String code, String message) {
                  errors.add(code);
                }
              });
      for (int i = 1; i <= 24; i++) {
        client.append(stream, "m1", "word-" + i + " ", i == 24);
        Thread.sleep(250);
      }
      client.complete(stream);
      assertEquals(24L, subscription.completion().get(30, java.util.concurrent.TimeUnit.SECONDS));
    }
    List<Long> expected = new ArrayList<>();
    for (long seq = 1; seq <= 24; seq++) {
      expected.add(seq);
    }
    assertEquals(expected, seqs, "every chunk once, in order, across token renewals");
    assertTrue(errors.contains("token-expired"), errors.toString());
    assertTrue(minted.get() > 24, "the provider is asked per request and connection: " + minted);
  }

  @Test
  void whoeverCanPublishToRedisCannotPutWordsInAClientsMouth() throws Exception {
    Http http = new Http(base);
    String stream = "auth-forge-" + UUID.randomUUID();
    String[] producer = TestTokens.bearer(TestTokens.token("writer", "produce", stream));
    String reader = TestTokens.token("reader", "subscribe", stream);
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "real 1"), producer);
    String channel = TestServices.channelPrefix() + "stream:" + stream;
    String forgedChunk =
        "{\"v\":1,\"streamId\":\""
            + stream
            + "\",\"chunks\":[{\"seq\":2,\"messageId\":\"m1\",\"content\":\"forged\","
            + "\"final\":false,\"createdAt\":\"2026-12-01T00:00:00Z\"}]}";
    try (WsClient client =
            WsClient.connect(
                URI.create(base + "ws/streams/" + stream + "?after=0&access_token=" + reader),
                Map.of(),
                List.of());
        redis.clients.jedis.Jedis redis =
            new redis.clients.jedis.Jedis(URI.create(TestServices.redisUrl()))) {
      assertTrue(client.next(Duration.ofSeconds(10)).contains("real 1"));
      String admin = TestTokens.token("ops", "admin");
      long forgedBefore =
          counter(get(http, "metrics", admin).body(), "chunk_relay_live_messages_forged_total");
      // An unsealed forgery, and one sealed with a key that is not the cluster's.
      redis.publish(channel, forgedChunk);
      redis.publish(channel, "s1." + "A".repeat(43) + "." + forgedChunk);
      await("both forgeries heard and dropped")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  counter(
                          get(http, "metrics", admin).body(),
                          "chunk_relay_live_messages_forged_total")
                      >= forgedBefore + 2);
      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "real 2"), producer);
      String second = client.next(Duration.ofSeconds(10));
      assertTrue(second.contains("\"seq\":2") && second.contains("real 2"), second);
    }
    assertEquals(List.of("real 1", "real 2"), contents(stream));
    Http.Response metrics = get(http, "metrics", TestTokens.token("ops", "admin"));
    assertTrue(
        metrics
            .body()
            .lines()
            .anyMatch(line -> line.matches("chunk_relay_live_messages_forged_total [1-9].*")),
        metrics.body());
  }

  private static List<String> contents(String stream) {
    return ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList();
  }

  @Test
  void metricsNeedAdminAndHealthStaysOpen() {
    Http http = new Http(base);
    assertEquals(401, http.get("metrics").status());
    assertEquals(
        403, get(http, "metrics", TestTokens.token("svc", "produce subscribe", "*")).status());
    String admin = TestTokens.token("ops", "admin");
    Http.Response metrics = get(http, "metrics", admin);
    assertEquals(200, metrics.status());
    assertTrue(
        metrics.body().contains("# TYPE chunk_relay_publishes_total counter"), metrics.body());
    // The admin's page counts what the node does: one more append, one more publish.
    long before = counter(get(http, "metrics", admin).body(), "chunk_relay_publishes_total");
    String stream = "metrics-" + UUID.randomUUID();
    assertEquals(
        201,
        http.postJson(
                "api/streams/" + stream + "/chunks",
                Http.chunk("m", "counted"),
                TestTokens.bearer(TestTokens.token("svc", "produce", stream)))
            .status());
    await("the publish counted")
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                counter(get(http, "metrics", admin).body(), "chunk_relay_publishes_total")
                    > before);
    Http.Response health = http.get("health");
    assertEquals(200, health.status());
    assertFalse(health.body().contains("jdbc:"), health.body());
  }

  @Test
  void foreignPagesAreRefusedAndListedOnesGetCors() {
    Http http = new Http(base);
    String stream = "auth-cors-" + UUID.randomUUID();
    String producer = TestTokens.token("writer", "produce", stream);
    Http.Response foreign =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m1", "csrf"),
            "Authorization",
            "Bearer " + producer,
            "Origin",
            "https://evil.example");
    assertEquals(403, foreign.status());
    assertEquals("origin-not-allowed", foreign.json().path("code").asText());
    assertEquals(0, ChunkTable.count("chunks", stream));

    Http.Response preflight =
        http.send(
            HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", TestServices.ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .build());
    assertEquals(204, preflight.status());
    assertEquals(TestServices.ALLOWED_ORIGIN, preflight.header("Access-Control-Allow-Origin"));
    assertTrue(preflight.header("Access-Control-Allow-Headers").contains("Authorization"));

    Http.Response listed =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m1", "from the app"),
            "Authorization",
            "Bearer " + producer,
            "Origin",
            TestServices.ALLOWED_ORIGIN);
    assertEquals(201, listed.status(), listed.body());
    assertEquals(TestServices.ALLOWED_ORIGIN, listed.header("Access-Control-Allow-Origin"));

    String reader = TestTokens.token("reader", "subscribe", stream);
    assertEquals(
        403,
        assertThrows(
                WsClient.Refused.class,
                () ->
                    WsClient.connect(
                        URI.create(base + "ws/streams/" + stream + "?access_token=" + reader),
                        Map.of("Origin", "https://evil.example"),
                        List.of()))
            .status(),
        "cross-site WebSocket hijacking");
  }

  /** A counter's value in Prometheus text. */
  private static long counter(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is missing from\n" + metrics);
  }

  private static Http.Response get(Http http, String path, String token) {
    return http.send(
        HttpRequest.newBuilder(http.base().resolve(path))
            .header("Authorization", "Bearer " + token)
            .build());
  }
}
