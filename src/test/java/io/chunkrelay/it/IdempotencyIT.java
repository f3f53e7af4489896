package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import java.net.URL;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Idempotency-Key: a retried append gets its original seqs back and stores nothing new. */
@ExtendWith(ArquillianExtension.class)
class IdempotencyIT {
  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aRetryReturnsTheOriginalSeqAndStoresNothing() {
    Http http = new Http(base);
    String stream = "idem-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    Http.Response first = http.postJson(path, Http.chunk("m", "once"), "Idempotency-Key", "k-1");
    http.postJson(path, Http.chunk("m", "between"));
    Http.Response retry = http.postJson(path, Http.chunk("m", "once"), "Idempotency-Key", "k-1");

    assertEquals(201, retry.status(), retry.body());
    assertEquals(first.json(), retry.json());
    assertEquals(1, retry.json().get("seq").asLong());
    assertEquals("true", retry.header("Idempotent-Replayed"));
    assertEquals(null, first.header("Idempotent-Replayed"));
    assertEquals(2, ChunkTable.count("chunks", stream));
  }

  @Test
  void aRetriedBatchReturnsTheOriginalRange() {
    Http http = new Http(base);
    String stream = "idem-batch-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    String batch = "[" + Http.chunk("m", "a") + "," + Http.chunk("m", "b") + "]";
    http.postJson(path, Http.chunk("m", "zero"));
    Http.Response first = http.postJson(path, batch, "Idempotency-Key", "batch-1");
    Http.Response retry = http.postJson(path, batch, "Idempotency-Key", "batch-1");
    assertEquals(2, retry.json().get("firstSeq").asLong());
    assertEquals(3, retry.json().get("lastSeq").asLong());
    assertEquals(first.json(), retry.json());
    assertEquals(3, ChunkTable.count("chunks", stream));
  }

  @Test
  void racingRetriesOfOneRequestStoreItOnce() throws Exception {
    Http http = new Http(base);
    String stream = "idem-race-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    int racers = 8;
    int rounds = 20;
    ExecutorService pool = Executors.newFixedThreadPool(racers + 1);
    try {
      for (int round = 0; round < rounds; round++) {
        String key = "race-" + round;
        String body = Http.chunk("m", "content-" + round);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Http.Response>> answers = new ArrayList<>();
        for (int r = 0; r < racers; r++) {
          answers.add(
              pool.submit(
                  () -> {
                    start.await();
                    return http.postJson(path, body, "Idempotency-Key", key);
                  }));
        }
        // An unkeyed producer appends at the same time.
        Future<Http.Response> other =
            pool.submit(
                () -> {
                  start.await();
                  return http.postJson(path, Http.chunk("m", "other-" + key));
                });
        start.countDown();
        Set<Long> seqs = new HashSet<>();
        for (Future<Http.Response> answer : answers) {
          Http.Response response = answer.get(30, TimeUnit.SECONDS);
          assertEquals(201, response.status(), response.body());
          seqs.add(response.json().get("seq").asLong());
        }
        assertEquals(1, seqs.size(), "every racer of " + key + " must get the same seq");
        assertEquals(201, other.get(30, TimeUnit.SECONDS).status());
      }
    } finally {
      pool.shutdownNow();
    }
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(2 * rounds, rows.size());
    for (int round = 0; round < rounds; round++) {
      String content = "content-" + round;
      assertEquals(1, rows.stream().filter(row -> row.content().equals(content)).count(), content);
    }
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i + 1, rows.get(i).seq());
    }
  }

  @Test
  void aKeyReusedForAnotherRequestIsRefused() {
    Http http = new Http(base);
    String stream = "idem-reuse-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    http.postJson(path, Http.chunk("m", "original"), "Idempotency-Key", "k");
    Http.Response reused =
        http.postJson(path, Http.chunk("m", "different"), "Idempotency-Key", "k");
    BadInputIT.assertProblem("reused key", reused, 422, "idempotency-key-reused");
    assertEquals(1, ChunkTable.count("chunks", stream));

    String otherStream = "idem-reuse-other-" + UUID.randomUUID();
    Http.Response elsewhere =
        http.postJson(
            "api/streams/" + otherStream + "/chunks",
            Http.chunk("m", "different"),
            "Idempotency-Key",
            "k");
    assertEquals(201, elsewhere.status(), "keys are scoped to their stream");
  }

  @Test
  void aRetryAfterCompletionStillGetsItsOriginalSeq() {
    Http http = new Http(base);
    String stream = "idem-complete-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    http.postJson(path, Http.chunk("m", "last words"), "Idempotency-Key", "final");
    http.postJson("api/streams/" + stream + "/complete", "");
    Http.Response retry =
        http.postJson(path, Http.chunk("m", "last words"), "Idempotency-Key", "final");
    assertEquals(201, retry.status(), retry.body());
    assertEquals(1, retry.json().get("seq").asLong());
    BadInputIT.assertProblem(
        "new append", http.postJson(path, Http.chunk("m", "more")), 409, "stream-completed");
  }
}
