package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.StalledClients;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Promise 8: every kind of bad input gets a 4xx problem+json with its stable type, never a stack
 * trace, and leaves the chunk log exactly as it was (checked by SQL, for new and existing streams).
 */
@ExtendWith(ArquillianExtension.class)
class BadInputIT {
  private static final String BIG_CONTENT = "x".repeat(64 * 1024 + 1);

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  /** A bad append: its body, content type and extra headers, and the answer it must get. */
  private record BadAppend(
      String name, String body, String contentType, int status, String code, String... headers) {}

  private static Stream<BadAppend> badAppends() {
    String ok = Http.chunk("m1", "fine");
    StringBuilder hugeBatch = new StringBuilder("[");
    for (int i = 0; i < 501; i++) {
      hugeBatch.append(i == 0 ? "" : ",").append(ok);
    }
    hugeBatch.append("]");
    StringBuilder tooLarge = new StringBuilder("[");
    for (int i = 0; i < 80; i++) {
      tooLarge.append(i == 0 ? "" : ",").append(Http.chunk("m", "y".repeat(60_000)));
    }
    tooLarge.append("]");
    return Stream.of(
        new BadAppend("truncated JSON", "{\"messageId\":", JSON, 400, "malformed-json"),
        new BadAppend("trailing garbage", ok + " x", JSON, 400, "malformed-json"),
        new BadAppend(
            "duplicate key",
            "{\"messageId\":\"a\",\"messageId\":\"b\",\"content\":\"c\"}",
            JSON,
            400,
            "malformed-json"),
        new BadAppend("empty body", "", JSON, 400, "malformed-json"),
        new BadAppend("missing content", "{\"messageId\":\"m1\"}", JSON, 400, "invalid-chunk"),
        new BadAppend("missing messageId", "{\"content\":\"c\"}", JSON, 400, "invalid-chunk"),
        new BadAppend(
            "content is a number",
            "{\"messageId\":\"m\",\"content\":5}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "messageId is null",
            "{\"messageId\":null,\"content\":\"c\"}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "final is a string",
            "{\"messageId\":\"m\",\"content\":\"c\",\"final\":\"yes\"}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "unknown field",
            "{\"messageId\":\"m\",\"content\":\"c\",\"seq\":3}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend("a bare string", "\"hello\"", JSON, 400, "invalid-chunk"),
        new BadAppend("empty batch", "[]", JSON, 400, "invalid-chunk"),
        new BadAppend(
            "a batch with one bad chunk",
            "[" + ok + "," + ok + ",{\"messageId\":\"m\"}]",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "NUL in content",
            "{\"messageId\":\"m\",\"content\":\"a\\u0000b\"}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "unpaired surrogate",
            "{\"messageId\":\"m\",\"content\":\"\\ud800\"}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "empty messageId",
            "{\"messageId\":\"\",\"content\":\"c\"}",
            JSON,
            400,
            "invalid-chunk"),
        new BadAppend(
            "oversized chunk", Http.chunk("m", BIG_CONTENT), JSON, 413, "chunk-too-large"),
        new BadAppend("oversized batch", hugeBatch.toString(), JSON, 413, "batch-too-large"),
        new BadAppend("oversized request", tooLarge.toString(), JSON, 413, "request-too-large"),
        new BadAppend("not JSON at all", ok, "text/plain", 415, "unsupported-media-type"),
        new BadAppend(
            "latin-1 JSON",
            ok,
            "application/json; charset=ISO-8859-1",
            415,
            "unsupported-media-type"),
        new BadAppend(
            "over-long Idempotency-Key",
            ok,
            JSON,
            400,
            "invalid-idempotency-key",
            "Idempotency-Key",
            "k".repeat(256)),
        new BadAppend(
            "Idempotency-Key with spaces",
            ok,
            JSON,
            400,
            "invalid-idempotency-key",
            "Idempotency-Key",
            "a b"),
        new BadAppend(
            "two Idempotency-Keys",
            ok,
            JSON,
            400,
            "invalid-idempotency-key",
            "Idempotency-Key",
            "first-key",
            "Idempotency-Key",
            "second-key"));
  }

  private static final String JSON = "application/json";

  @Test
  void everyBadAppendToANewStreamIsRefusedAndCreatesNothing() {
    Http http = new Http(base);
    badAppends()
        .forEach(
            bad -> {
              String stream = "bad-new-" + UUID.randomUUID();
              Http.Response response = append(http, stream, bad);
              assertProblem(bad.name(), response, bad.status(), bad.code());
              assertEquals(
                  0, ChunkTable.count("streams", stream), bad.name() + " created a stream");
              assertEquals(0, ChunkTable.count("chunks", stream), bad.name() + " stored a chunk");
            });
  }

  @Test
  void everyBadAppendToAnExistingStreamLeavesItUnchanged() {
    Http http = new Http(base);
    String stream = "bad-existing-" + UUID.randomUUID();
    assertEquals(
        201,
        http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m0", "first")).status());
    badAppends()
        .forEach(
            bad -> {
              Http.Response response = append(http, stream, bad);
              assertProblem(bad.name(), response, bad.status(), bad.code());
              assertEquals(1, ChunkTable.head(stream), bad.name() + " moved the head");
              assertEquals(1, ChunkTable.count("chunks", stream), bad.name() + " stored a chunk");
            });
    assertEquals(
        2,
        http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m0", "second"))
            .json()
            .get("seq")
            .asLong(),
        "after all that, the next good append takes the next seq");
  }

  @Test
  void badStreamIdsAreRefused() {
    Http http = new Http(base);
    for (String id : new String[] {"bad$id", "a%20b", "x".repeat(129), "caf%C3%A9", "a%2Cb"}) {
      Http.Response response = http.postJson("api/streams/" + id + "/chunks", Http.chunk("m", "c"));
      assertProblem("stream id " + id, response, 400, "invalid-stream-id");
      assertProblem("stream id " + id, http.get("api/streams/" + id), 400, "invalid-stream-id");
    }
  }

  @Test
  void unknownStreamsAreNotFoundAndStayUnknown() {
    Http http = new Http(base);
    String stream = "unknown-" + UUID.randomUUID();
    assertProblem("get", http.get("api/streams/" + stream), 404, "stream-not-found");
    assertProblem(
        "list", http.get("api/streams/" + stream + "/chunks?after=0"), 404, "stream-not-found");
    assertProblem(
        "complete",
        http.postJson("api/streams/" + stream + "/complete", ""),
        404,
        "stream-not-found");
    assertEquals(0, ChunkTable.count("streams", stream));
  }

  @Test
  void badParametersMethodsAndPathsAreRefused() {
    Http http = new Http(base);
    String stream = "params-" + UUID.randomUUID();
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "c"));
    for (String query :
        new String[] {
          "after=-1",
          "after=abc",
          "limit=0",
          "limit=1001",
          "after=1.5",
          "after=0&after=999",
          "limit=5&limit=1",
          IntStream.range(0, 1_100).mapToObj(i -> "p" + i + "=1").collect(Collectors.joining("&"))
        }) {
      assertProblem(
          query.substring(0, Math.min(40, query.length())),
          http.get("api/streams/" + stream + "/chunks?" + query),
          400,
          "invalid-parameter");
    }
    Http.Response delete =
        http.send(
            HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
                .timeout(Duration.ofSeconds(10))
                .DELETE()
                .build());
    assertProblem("DELETE", delete, 405, "method-not-allowed");
    assertEquals("GET, HEAD, POST", delete.header("Allow"));
    for (String formType :
        new String[] {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}) {
      Http.Response form =
          http.post(
              "api/streams/" + stream + "/complete",
              HttpRequest.BodyPublishers.ofString("x=1"),
              "Content-Type",
              formType);
      assertProblem("complete as " + formType, form, 415, "unsupported-media-type");
    }
    assertEquals("open", http.get("api/streams/" + stream).json().get("status").asText());
    assertProblem("unknown path", http.get("api/streams/" + stream + "/nope"), 404, "not-found");
    assertProblem("unknown api", http.get("api/other"), 404, "not-found");
    for (String path :
        new String[] {
          "api/streams//chunks", "api/streams/" + stream + "/./chunks", "api//streams/" + stream
        }) {
      // Sent as written: URI.resolve would normalize the very segments under test.
      URI raw = URI.create(http.base() + path);
      assertProblem(
          path,
          http.send(HttpRequest.newBuilder(raw).timeout(Duration.ofSeconds(10)).build()),
          404,
          "not-found");
      assertProblem(
          "POST " + path,
          http.send(
              HttpRequest.newBuilder(raw)
                  .timeout(Duration.ofSeconds(10))
                  .header("Content-Type", JSON)
                  .POST(HttpRequest.BodyPublishers.ofString(Http.chunk("m", "c")))
                  .build()),
          404,
          "not-found");
    }
    assertEquals(0, ChunkTable.count("streams", "chunks"), "no stream named 'chunks' was made");
    assertEquals(1, ChunkTable.head(stream));
  }

  @Test
  void aPageIsBoundedByItsContentBytesNotOnlyByItsChunks() {
    Http http = new Http(base);
    String stream = "page-bytes-" + UUID.randomUUID();
    for (int batch = 0; batch < 2; batch++) {
      StringBuilder chunks = new StringBuilder("[");
      for (int i = 0; i < 20; i++) {
        chunks.append(i == 0 ? "" : ",").append(Http.chunk("m", "z".repeat(60_000)));
      }
      assertEquals(201, http.postJson("api/streams/" + stream + "/chunks", chunks + "]").status());
    }
    // 1 MiB (CHUNK_RELAY_MAX_PAGE_BYTES' default) holds 17 chunks of 60,000 bytes, not 18.
    Http.Response first = http.get("api/streams/" + stream + "/chunks?after=0&limit=1000");
    assertEquals(17, first.json().get("chunks").size());
    assertEquals(40, first.json().get("headSeq").asLong());
    Http.Response next = http.get("api/streams/" + stream + "/chunks?after=17&limit=1000");
    assertEquals(18, next.json().get("chunks").get(0).get("seq").asLong());
    assertEquals(17, next.json().get("chunks").size());
    Http.Response last = http.get("api/streams/" + stream + "/chunks?after=34&limit=3");
    assertEquals(3, last.json().get("chunks").size(), "the chunk limit still applies");
  }

  @Test
  void headAnswersWhatGetWouldWithoutItsBody() {
    Http http = new Http(base);
    String stream = "head-" + UUID.randomUUID();
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "c"));
    for (String path :
        new String[] {"api/streams/" + stream, "api/streams/" + stream + "/chunks?after=0"}) {
      Http.Response get = http.get(path);
      Http.Response head = head(http, path);
      assertEquals(200, head.status(), path);
      assertEquals("", head.body(), path + ": HEAD sent a body");
      assertEquals(get.contentType(), head.contentType(), path);
      assertEquals(
          String.valueOf(get.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
          head.header("Content-Length"),
          path + ": HEAD's Content-Length is GET's body's");
    }
    Http.Response unknown = head(http, "api/streams/unknown-" + UUID.randomUUID());
    assertEquals(404, unknown.status());
    assertEquals("", unknown.body());
    assertEquals(405, head(http, "api/streams/" + stream + "/complete").status());
    assertEquals(1, ChunkTable.head(stream), "HEAD changed nothing");
  }

  @Test
  void everyAnswerTellsBrowsersNotToFrameSniffOrLoadFromElsewhere() {
    Http http = new Http(base);
    for (Http.Response response :
        new Http.Response[] {
          http.get(""),
          http.get("js/demo.js"),
          http.get("api/streams/x/nope"),
          http.postJson(
              "api/streams/headers-" + UUID.randomUUID() + "/chunks", Http.chunk("m", "c"))
        }) {
      String page = response.raw().uri().getPath();
      assertEquals(
          "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
              + " frame-ancestors 'none'",
          response.header("Content-Security-Policy"),
          page);
      assertEquals("nosniff", response.header("X-Content-Type-Options"), page);
      assertEquals("DENY", response.header("X-Frame-Options"), page);
      assertEquals("no-referrer", response.header("Referrer-Policy"), page);
    }
  }

  private static Http.Response head(Http http, String path) {
    return http.send(
        HttpRequest.newBuilder(http.base().resolve(path))
            .timeout(Duration.ofSeconds(10))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build());
  }

  @Test
  void badDemoPromptsAreRefusedAndStartNothing() {
    Http http = new Http(base);
    long startedBefore = http.metric("chunk_relay_demo_replies_started");
    String[][] bad = {
      {"malformed", JSON, "{\"prompt\":", "400", "malformed-json"},
      {"not an object", JSON, "[1]", "400", "invalid-prompt"},
      {"no prompt", JSON, "{}", "400", "invalid-prompt"},
      {"blank prompt", JSON, "{\"prompt\":\"  \\n \"}", "400", "invalid-prompt"},
      {"number prompt", JSON, "{\"prompt\":42}", "400", "invalid-prompt"},
      {"long prompt", JSON, "{\"prompt\":\"" + "p".repeat(2001) + "\"}", "400", "invalid-prompt"},
      {
        "huge body", JSON, "{\"prompt\":\"" + "p".repeat(20_000) + "\"}", "413", "request-too-large"
      },
      {"form", "application/x-www-form-urlencoded", "prompt=hi", "415", "unsupported-media-type"},
      {"trailing junk", JSON, "{\"prompt\":\"hi\"} junk", "400", "malformed-json"},
      {"duplicate prompt", JSON, "{\"prompt\":\"a\",\"prompt\":\"b\"}", "400", "malformed-json"},
      {"NUL in prompt", JSON, "{\"prompt\":\"a\\u0000b\"}", "400", "invalid-prompt"},
      {"lone surrogate", JSON, "{\"prompt\":\"a\\ud800b\"}", "400", "invalid-prompt"},
    };
    for (String[] request : bad) {
      Http.Response response =
          http.post(
              "demo/replies",
              HttpRequest.BodyPublishers.ofString(request[2]),
              "Content-Type",
              request[1]);
      assertProblem(request[0], response, Integer.parseInt(request[3]), request[4]);
    }
    assertProblem("GET", http.get("demo/replies"), 405, "method-not-allowed");
    assertProblem("other path", http.get("demo/other"), 404, "not-found");
    assertEquals(
        0, http.metric("chunk_relay_demo_active_replies"), "a refused prompt started a reply");
  }

  @Test
  void promptBodiesThatNeverArriveHoldNoThreadAndAreAnswered408() throws Exception {
    String path = URI.create(base.toString()).getRawPath();
    // More than the container has worker threads (Tomcat's default is 200).
    try (StalledClients stalled =
        StalledClients.open(
            base,
            250,
            i ->
                "POST "
                    + path
                    + "demo/replies HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"prompt\":")) {
      long started = System.nanoTime();
      Http.Response served = new Http(base).postJson("demo/replies", "{\"prompt\":\"hello\"}");
      long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
      // 429 too-many-replies if another test's replies are still running: answered all the same.
      assertTrue(served.status() == 202 || served.status() == 429, served.body());
      assertTrue(millis < 5_000, "served in " + millis + " ms");
      assertEquals("HTTP/1.1 408", stalled.status(0));
    }
  }

  @Test
  void aFloodOfPromptsIsCappedWithTooManyReplies() {
    Http http = new Http(base);
    int accepted = 0;
    Http.Response refused = null;
    for (int i = 0; i < 25 && refused == null; i++) {
      Http.Response response = http.postJson("demo/replies", "{\"prompt\":\"flood " + i + "\"}");
      if (response.status() == 202) {
        accepted++;
      } else {
        refused = response;
      }
    }
    assertTrue(refused != null, "25 prompts in a row were all accepted");
    assertProblem("flood", refused, 429, "too-many-replies");
    assertEquals("5", refused.header("Retry-After"));
    assertEquals(20, accepted, "CHUNK_RELAY_DEMO_MAX_REPLIES defaults to 20");
    assertTrue(http.metric("chunk_relay_demo_active_replies") <= 20);
  }

  private static Http.Response append(Http http, String stream, BadAppend bad) {
    String[] headers = new String[2 + bad.headers().length];
    headers[0] = "Content-Type";
    headers[1] = bad.contentType();
    System.arraycopy(bad.headers(), 0, headers, 2, bad.headers().length);
    return http.post(
        "api/streams/" + stream + "/chunks",
        HttpRequest.BodyPublishers.ofString(bad.body()),
        headers);
  }

  static void assertProblem(String name, Http.Response response, int status, String code) {
    assertEquals(status, response.status(), name + ": " + response.body());
    assertTrue(
        response.contentType().startsWith("application/problem+json"),
        name + ": content type " + response.contentType());
    assertEquals(code, response.json().get("code").asText(), name);
    assertEquals("urn:chunk-relay:problem:" + code, response.json().get("type").asText(), name);
    assertEquals(status, response.json().get("status").asInt(), name);
    assertTrue(response.json().hasNonNull("title") && response.json().hasNonNull("detail"), name);
    assertFalse(
        response.body().contains("Exception") || response.body().contains("\tat "),
        name + " leaked internals: " + response.body());
  }
}
