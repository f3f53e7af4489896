package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.ChunkedPost;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Await;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Streaming ingest: a reply piped as {@code application/x-ndjson} in one request is committed and
 * delivered line by line while the body is still open; an idempotent producer's resend after a cut
 * stores each line once; a stale epoch and a hole in the producer's numbering are refused; a bad
 * line ends the request and the lines before it stay.
 */
@ExtendWith(ArquillianExtension.class)
class StreamingIngestIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aSubscriberReceivesLinesWhileTheBodyIsStillOpen() throws Exception {
    String stream = "ingest-live-" + UUID.randomUUID();
    try (WsClient subscriber = WsClient.connect(uri("ws/streams/" + stream));
        ChunkedPost post = ChunkedPost.open(host(), port(), path(stream))) {
      for (int i = 1; i <= 3; i++) {
        post.line(line("token " + i, false));
        JsonNode frame = Json.MAPPER.readTree(subscriber.next(WAIT));
        assertEquals(i, frame.get("seq").asLong(), "line " + i + " arrives before the body ends");
        assertEquals("token " + i, frame.get("content").asText());
      }
      post.line(line("done", true));
      ChunkedPost.Answer answer = post.end();
      assertEquals(201, answer.status(), String.valueOf(answer.json()));
      assertEquals(1, answer.json().get("firstSeq").asLong());
      assertEquals(4, answer.json().get("lastSeq").asLong());
      assertEquals(4, answer.json().get("count").asLong());
      assertEquals(4, Json.MAPPER.readTree(subscriber.next(WAIT)).get("seq").asLong());
    }
  }

  @Test
  void aResendAfterACutMidBodyStoresEachLineOnce() throws Exception {
    String stream = "ingest-cut-" + UUID.randomUUID();
    String[] producer = {"Producer-Id", "writer-1", "Producer-Epoch", "0", "Producer-Seq", "0"};
    List<String> lines = IntStream.range(0, 10).mapToObj(i -> line("line " + i, i == 9)).toList();
    try (FaultyProxy proxy = new FaultyProxy(host(), port())) {
      ChunkedPost first = ChunkedPost.open("127.0.0.1", proxy.port(), path(stream), producer);
      lines.subList(0, 6).forEach(first::line);
      Await.until(() -> ChunkTable.head(stream) == 6, WAIT);
      proxy.cut();
      first.close();
      proxy.heal();
      // Nothing was acknowledged (the answer comes when the body ends): resend from the start.
      try (ChunkedPost resend =
          ChunkedPost.open("127.0.0.1", proxy.port(), path(stream), producer)) {
        lines.forEach(resend::line);
        ChunkedPost.Answer answer = resend.end();
        assertEquals(201, answer.status(), String.valueOf(answer.json()));
        assertEquals(4, answer.json().get("count").asLong());
        assertEquals(6, answer.json().get("duplicates").asLong());
        assertEquals(7, answer.json().get("firstSeq").asLong());
        assertEquals(10, answer.json().get("lastSeq").asLong());
        assertEquals("9", answer.headers().get("producer-seq"));
      }
    }
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(
        IntStream.range(0, 10).mapToObj(i -> "line " + i).toList(),
        rows.stream().map(ChunkTable.Row::content).toList(),
        "each line once, in order");
    ChunkTable.gapFreeSeqsByContent(stream);
  }

  @Test
  void aBodyThatFallsSilentIsEndedByTheNodeWith408AndBlankLinesKeepItOpen() throws Exception {
    String stream = "ingest-idle-" + UUID.randomUUID();
    try (ChunkedPost post = ChunkedPost.open(host(), port(), path(stream))) {
      post.line(line("before the pause", false));
      Thread.sleep(8_000);
      post.line(""); // a producer still thinking keeps the body open
      long lastByte = System.nanoTime();
      ChunkedPost.Answer answer = post.answer();
      long quietSeconds = (System.nanoTime() - lastByte) / 1_000_000_000L;
      assertEquals(408, answer.status(), String.valueOf(answer.json()));
      assertEquals("request-timeout", answer.json().get("code").asText());
      assertEquals(1, answer.json().get("count").asLong(), "the line before the pause is kept");
      assertTrue(
          quietSeconds >= 14 && quietSeconds <= 19,
          "answered after 15 s of silence, not at the blank line nor by the connector: "
              + quietSeconds);
    }
    assertEquals(1, ChunkTable.count("chunks", stream));
  }

  @Test
  void aStaleEpochIsRefusedWithTheCurrentOneAndNothingIsStored() {
    String stream = "ingest-epoch-" + UUID.randomUUID();
    post(stream, "p", 3, 0, line("from epoch 3", false)).end();
    ChunkedPost.Answer stale = post(stream, "p", 2, 1, line("zombie", false)).end();
    assertEquals(403, stale.status());
    assertEquals("stale-producer-epoch", stale.json().get("code").asText());
    assertEquals("3", stale.headers().get("producer-epoch"));
    assertEquals(3, stale.json().get("currentEpoch").asLong());
    assertEquals(1, ChunkTable.count("chunks", stream));
  }

  @Test
  void aHoleInTheProducersNumberingIsRefusedWithTheNumberExpected() {
    String stream = "ingest-gap-" + UUID.randomUUID();
    post(stream, "p", 0, 0, line("zero", false)).line(line("one", false)).end();
    ChunkedPost.Answer gap = post(stream, "p", 0, 5, line("five", false)).end();
    assertEquals(409, gap.status());
    assertEquals("producer-seq-gap", gap.json().get("code").asText());
    assertEquals(2, gap.json().get("expectedSeq").asLong());
    assertEquals("2", gap.headers().get("producer-expected-seq"));
    assertEquals("5", gap.headers().get("producer-received-seq"));
    // A new epoch starts its numbering at 0 again; anything else is a hole too.
    assertEquals(409, post(stream, "p", 1, 1, line("x", false)).end().status());
    assertEquals(201, post(stream, "p", 1, 0, line("new session", false)).end().status());
    assertEquals(
        List.of("zero", "one", "new session"),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
  }

  @Test
  void aBadLineEndsTheRequestAndTheLinesBeforeItStay() {
    String stream = "ingest-bad-" + UUID.randomUUID();
    try (ChunkedPost post = ChunkedPost.open(host(), port(), path(stream))) {
      post.line(line("one", false)).line("").line(line("two", false));
      post.line("{\"messageId\":\"m\",\"content\":42}");
      ChunkedPost.Answer answer = post.answer();
      assertEquals(400, answer.status());
      assertEquals("invalid-chunk", answer.json().get("code").asText());
      assertEquals(4, answer.json().get("line").asLong(), "blank lines are counted, not stored");
      assertEquals(2, answer.json().get("count").asLong());
      assertEquals(2, answer.json().get("lastSeq").asLong());
    }
    assertEquals(
        List.of("one", "two"),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
  }

  @Test
  void aStreamCompletedWhileItsBodyIsOpenEndsTheRequestAndStoresNothingMore() {
    String stream = "ingest-completed-" + UUID.randomUUID();
    try (ChunkedPost post = ChunkedPost.open(host(), port(), path(stream))) {
      post.line(line("before", false));
      Await.until(() -> ChunkTable.head(stream) == 1, WAIT);
      assertEquals(
          200, new Http(base).postJson("api/streams/" + stream + "/complete", "").status());
      post.line(line("after", false));
      ChunkedPost.Answer answer = post.answer();
      assertEquals(409, answer.status());
      assertEquals("stream-completed", answer.json().get("code").asText());
      assertEquals(1, answer.json().get("count").asLong(), "what the body stored before");
    }
    assertEquals(
        List.of("before"),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
  }

  @Test
  void producerHeadersMakeSingleAndBatchAppendsIdempotent() {
    Http http = new Http(base);
    String stream = "producer-json-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    String batch = "[" + Http.chunk("m", "a") + "," + Http.chunk("m", "b") + "]";
    Http.Response first = http.postJson(chunks, batch, headers("p", 0, 0));
    assertEquals(201, first.status(), first.body());
    assertEquals("1", first.header("Producer-Seq"));

    // Resent with one more chunk: the two stored are skipped, the new one appended.
    String longer =
        "[" + Http.chunk("m", "a") + "," + Http.chunk("m", "b") + "," + Http.chunk("m", "c") + "]";
    Http.Response overlap = http.postJson(chunks, longer, headers("p", 0, 0));
    assertEquals(201, overlap.status(), overlap.body());
    assertEquals(3, overlap.json().get("firstSeq").asLong());
    assertEquals(3, overlap.json().get("lastSeq").asLong());
    assertEquals(2, overlap.json().get("duplicates").asLong());

    Http.Response again = http.postJson(chunks, Http.chunk("m", "c"), headers("p", 0, 2));
    assertEquals(200, again.status(), again.body());
    assertEquals(1, again.json().get("duplicates").asLong());
    assertEquals(3, again.json().get("seq").asLong(), "the last chunk's seq is known");
    assertNull(again.json().get("firstSeq"));

    Http.Response next = http.postJson(chunks, Http.chunk("m", "d"), headers("p", 0, 3));
    assertEquals(4, next.json().get("seq").asLong());
    assertEquals(
        List.of("a", "b", "c", "d"),
        ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
  }

  @Test
  void incompleteOrConflictingProducerHeadersAreRefusedBeforeAnythingIsStored() {
    Http http = new Http(base);
    String stream = "producer-bad-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    String chunk = Http.chunk("m", "x");
    List<String[]> refused =
        List.of(
            new String[] {"Producer-Id", "p", "Producer-Epoch", "0"},
            new String[] {"Producer-Id", "p", "Producer-Epoch", "-1", "Producer-Seq", "0"},
            new String[] {
              "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "9007199254740992"
            },
            new String[] {"Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "1e3"},
            new String[] {"Producer-Id", "p q", "Producer-Epoch", "0", "Producer-Seq", "0"},
            new String[] {
              "Producer-Id", "p", "Producer-Epoch", "0", "Producer-Seq", "0", "Idempotency-Key", "k"
            },
            new String[] {
              "Producer-Id", "p", "Producer-Id", "q", "Producer-Epoch", "0", "Producer-Seq", "0"
            });
    for (String[] headers : refused) {
      Http.Response response = http.postJson(chunks, chunk, headers);
      assertEquals(400, response.status(), String.join(" ", headers));
      assertEquals("invalid-producer-headers", response.json().get("code").asText());
    }
    assertEquals(-1, ChunkTable.head(stream));
    assertFalse(http.get("api/streams/" + stream).status() == 200);
  }

  private ChunkedPost post(String stream, String producer, long epoch, long seq, String firstLine) {
    return ChunkedPost.open(
            host(),
            port(),
            path(stream),
            "Producer-Id",
            producer,
            "Producer-Epoch",
            Long.toString(epoch),
            "Producer-Seq",
            Long.toString(seq))
        .line(firstLine);
  }

  private static String[] headers(String producer, long epoch, long seq) {
    return new String[] {
      "Producer-Id",
      producer,
      "Producer-Epoch",
      Long.toString(epoch),
      "Producer-Seq",
      Long.toString(seq)
    };
  }

  private static String line(String content, boolean isFinal) {
    return "{\"messageId\":\"m\",\"content\":\"" + content + "\",\"final\":" + isFinal + "}";
  }

  private String path(String stream) {
    return base.getPath() + "api/streams/" + stream + "/chunks";
  }

  private String host() {
    return base.getHost();
  }

  private int port() {
    return base.getPort();
  }

  private URI uri(String relative) {
    return URI.create(base.toString()).resolve(relative);
  }
}
