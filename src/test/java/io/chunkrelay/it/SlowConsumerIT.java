package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Promise 5: a client that stops reading while 20,000 chunks (20 MB) stream costs the node no more
 * than its connection's bounded queue, does not slow other clients, and when it reads again it gets
 * every chunk in order: nothing was dropped, the connection re-read the log.
 */
class SlowConsumerIT {
  private static final int CHUNKS = 20_000;
  private static final int BATCH = 100;
  private static final int MAX_QUEUED_FRAMES = 256;
  private static final int MAX_QUEUED_BYTES = 256 * 1024;
  private static final String PADDING = "x".repeat(1_000);
  private static final ObjectMapper JSON = Json.MAPPER;

  private static TomcatNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node =
        TomcatNode.start(
                "slow-consumer",
                Map.of(
                    "CHUNK_RELAY_MAX_QUEUED_FRAMES", Integer.toString(MAX_QUEUED_FRAMES),
                    "CHUNK_RELAY_MAX_QUEUED_BYTES", Integer.toString(MAX_QUEUED_BYTES)))
            .awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aStalledClientStaysWithinItsQueueBoundDoesNotSlowOthersAndLosesNothing() throws Exception {
    Http http = new Http(node.base());
    String slowStream = "slow-" + UUID.randomUUID();
    String otherStream = "other-" + UUID.randomUUID();
    http.postJson("api/streams/" + slowStream + "/chunks", Http.chunk("m", "first"));
    http.postJson("api/streams/" + otherStream + "/chunks", Http.chunk("m", "first"));

    try (WsClient slow = WsClient.connect(node.base().resolve("ws/streams/" + slowStream));
        WsClient other = WsClient.connect(node.base().resolve("ws/streams/" + otherStream))) {
      assertEquals(1, seq(slow.next(Duration.ofSeconds(30))));
      assertEquals(1, seq(other.next(Duration.ofSeconds(30))));
      Histogram baseline = measureOther(http, other, otherStream, 2, 50, new AtomicBoolean(true));
      slow.stall();

      AtomicBoolean producing = new AtomicBoolean(true);
      CompletableFuture<Void> producer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int sent = 1; sent < CHUNKS; sent += BATCH) {
                    StringBuilder batch = new StringBuilder("[");
                    for (int i = 0; i < BATCH && sent + i < CHUNKS; i++) {
                      batch.append(i == 0 ? "" : ",").append(Http.chunk("m", PADDING));
                    }
                    Http.Response response =
                        http.postJson("api/streams/" + slowStream + "/chunks", batch + "]");
                    assertEquals(201, response.status(), response.body());
                  }
                  assertEquals(
                      200, http.postJson("api/streams/" + slowStream + "/complete", "").status());
                } finally {
                  producing.set(false);
                }
              });
      Histogram duringStall = measureOther(http, other, otherStream, 52, 10_000, producing);
      producer.get(5, TimeUnit.MINUTES);

      long maxFrames = http.metric("chunk_relay_outbound_queue_frames_max");
      long maxBytes = http.metric("chunk_relay_outbound_queue_bytes_max");
      System.out.printf(
          "slow consumer: other client's latency p50/p99/max %.1f/%.1f/%.1f ms before,"
              + " %.1f/%.1f/%.1f ms while a client stalled (%d samples); deepest queue %d frames,"
              + " %d bytes; lagging %d times%n",
          baseline.getValueAtPercentile(50) / 1e6,
          baseline.getValueAtPercentile(99) / 1e6,
          baseline.getMaxValue() / 1e6,
          duringStall.getValueAtPercentile(50) / 1e6,
          duringStall.getValueAtPercentile(99) / 1e6,
          duringStall.getMaxValue() / 1e6,
          duringStall.getTotalCount(),
          maxFrames,
          maxBytes,
          http.metric("chunk_relay_lagging_total"));
      assertTrue(maxFrames <= MAX_QUEUED_FRAMES, "queue held " + maxFrames + " frames");
      assertTrue(maxBytes <= MAX_QUEUED_BYTES, "queue held " + maxBytes + " bytes");
      assertTrue(
          http.metric("chunk_relay_lagging_total") >= 1,
          "the stalled client never filled its queue: the test did not stall it");
      assertTrue(
          duringStall.getValueAtPercentile(99) < TimeUnit.SECONDS.toNanos(1),
          "another client's p99 latency was "
              + duringStall.getValueAtPercentile(99) / 1e6
              + " ms while one client stalled");

      slow.resume();
      List<String> rest = slow.next(CHUNKS, Duration.ofMinutes(3));
      for (int i = 0; i < CHUNKS - 1; i++) {
        assertEquals(i + 2, seq(rest.get(i)), "after the stall, chunk " + (i + 2));
      }
      JsonNode complete = JSON.readTree(rest.get(CHUNKS - 1));
      assertEquals("complete", complete.get("type").asText());
      assertEquals(CHUNKS, complete.get("lastSeq").asLong());
    }
  }

  /**
   * Appends timestamped chunks to the other stream every 20 ms and records how long each takes to
   * reach the other client; stops after {@code maxChunks} or when {@code keepGoing} turns false.
   */
  private static Histogram measureOther(
      Http http,
      WsClient other,
      String stream,
      long firstSeq,
      int maxChunks,
      AtomicBoolean keepGoing)
      throws Exception {
    Histogram latency = new Histogram(3);
    long seq = firstSeq;
    for (int i = 0; i < maxChunks && keepGoing.get(); i++, seq++) {
      long sentAt = System.nanoTime();
      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "t"));
      assertEquals(seq, seq(other.next(Duration.ofSeconds(30))));
      latency.recordValue(System.nanoTime() - sentAt);
      Thread.sleep(20);
    }
    return latency;
  }

  private static long seq(String frame) throws Exception {
    return JSON.readTree(frame).get("seq").asLong();
  }
}
