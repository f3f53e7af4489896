package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Await;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed's "chunk 7", made deterministic with test-only pauses: chunks 1-6 exist, a client
 * connects with after=0, chunk 7 is appended while its connection is paused, then 8-10.
 * Subscribe-first delivery gives 1..10 once each, whichever moment the pause is at; the seed's
 * read-then-subscribe ordering, paused at its gap, loses chunk 7, which shows the test can see the
 * bug.
 */
@ExtendWith(ArquillianExtension.class)
class ChunkSevenIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.warWithPausingHooks();
  }

  @Test
  void chunkSevenAppendedBetweenConfirmedSubscribeAndBackfillArrivesOnce() throws Exception {
    assertEquals(range(1, 10), runScenario("ws/streams/", "subscribed"));
  }

  @Test
  void chunkSevenAppendedBetweenBackfillAndMergeArrivesOnce() throws Exception {
    assertEquals(range(1, 10), runScenario("ws/streams/", "backfilled"));
  }

  @Test
  void theSeedsReadThenSubscribeOrderingLosesChunkSeven() throws Exception {
    List<Long> expectedLoss = new ArrayList<>(range(1, 10));
    expectedLoss.remove(Long.valueOf(7));
    assertEquals(expectedLoss, runScenario("test/naive/", "naive-read"));
  }

  /** Runs the scenario against an endpoint, pausing at {@code point}; returns the seqs received. */
  private List<Long> runScenario(String endpoint, String point) throws Exception {
    Http http = new Http(base);
    String stream = "seven-" + point + "-" + UUID.randomUUID();
    String chunks = "api/streams/" + stream + "/chunks";
    for (int i = 1; i <= 6; i++) {
      assertEquals(201, http.postJson(chunks, Http.chunk("m", "chunk " + i)).status());
    }
    String hook = "test/hooks?point=" + point + "&stream=" + stream;
    assertEquals(204, http.postJson(hook + "&action=arm", "").status());
    List<Long> seqs = new ArrayList<>();
    String suffix = endpoint.startsWith("ws/") ? "?after=0" : "";
    try (WsClient client = WsClient.connect(uri(endpoint + stream + suffix))) {
      assertEquals(204, http.get(hook + "&action=await").status(), "pause not reached");
      long published = http.metric("chunk_relay_publishes_total");
      assertEquals(7, http.postJson(chunks, Http.chunk("m", "chunk 7")).json().get("seq").asLong());
      // The node publishes after it answered: let chunk 7's publish happen during the pause.
      Await.until(
          () -> http.metric("chunk_relay_publishes_total") > published, Duration.ofSeconds(10));
      assertEquals(204, http.postJson(hook + "&action=release", "").status());
      for (int i = 8; i <= 10; i++) {
        http.postJson(chunks, Http.chunk("m", "chunk " + i));
      }
      while (seqs.isEmpty() || seqs.get(seqs.size() - 1) < 10) {
        seqs.add(JSON.readTree(client.next(WAIT)).get("seq").asLong());
      }
      // Anything after 10 would be a duplicate: give it a moment to show up.
      try {
        seqs.add(JSON.readTree(client.next(Duration.ofMillis(500))).get("seq").asLong());
      } catch (AssertionError nothingMore) {
        // as it should be
      }
    }
    return seqs;
  }

  private URI uri(String path) {
    return URI.create(base.toString()).resolve(path);
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }
}
