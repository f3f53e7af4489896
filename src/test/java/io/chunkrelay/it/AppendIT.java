package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Promises 1 and 2 through the deployed WAR: acknowledged means stored, seqs are gap-free. */
@ExtendWith(ArquillianExtension.class)
class AppendIT {
  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  private static String newStream(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  @Test
  void eightConcurrentProducersGetSeqsExactlyOneToFourThousand() throws Exception {
    Http http = new Http(base);
    String stream = newStream("concurrent");
    int producers = 8;
    int appendsEach = 500;
    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int producer = p;
        running.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < appendsEach; i++) {
                    String content = "p" + producer + "-" + i;
                    Http.Response response =
                        http.postJson(
                            "api/streams/" + stream + "/chunks",
                            Http.chunk("m" + producer, content));
                    assertEquals(201, response.status(), response.body());
                    long seq = response.json().get("seq").asLong();
                    String previous = acknowledged.putIfAbsent(seq, content);
                    assertEquals(null, previous, "seq " + seq + " acknowledged twice");
                  }
                  return null;
                }));
      }
      for (Future<?> producer : running) {
        producer.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }

    int total = producers * appendsEach;
    assertEquals(total, acknowledged.size());
    assertEquals(1L, new TreeMap<>(acknowledged).firstKey());
    assertEquals((long) total, new TreeMap<>(acknowledged).lastKey());
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(total, rows.size());
    for (int i = 0; i < total; i++) {
      ChunkTable.Row row = rows.get(i);
      assertEquals(i + 1, row.seq(), "rows must be seqs 1.." + total + " without holes");
      assertEquals(
          acknowledged.get(row.seq()), row.content(), "content stored under seq " + row.seq());
    }
    assertEquals(total, ChunkTable.head(stream));
    assertTrue(
        ChunkTable.authors(stream).stream().allMatch("anonymous"::equals),
        "a node without authentication records its chunks as appended by anonymous");
  }

  @Test
  void racingFirstAppendsCreateTheStreamOnceAndAllSucceed() throws Exception {
    Http http = new Http(base);
    int racers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      for (int round = 0; round < 25; round++) {
        String stream = newStream("first-race");
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        List<Future<Http.Response>> answers = new ArrayList<>();
        for (int r = 0; r < racers; r++) {
          String content = "racer " + r;
          answers.add(
              pool.submit(
                  () -> {
                    start.await();
                    return http.postJson(
                        "api/streams/" + stream + "/chunks", Http.chunk("m", content));
                  }));
        }
        start.countDown();
        java.util.Set<Long> seqs = new java.util.TreeSet<>();
        for (Future<Http.Response> answer : answers) {
          Http.Response response = answer.get(30, TimeUnit.SECONDS);
          assertEquals(201, response.status(), response.body());
          seqs.add(response.json().get("seq").asLong());
        }
        assertEquals(java.util.Set.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), seqs);
        assertEquals(racers, ChunkTable.count("chunks", stream));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void everyChunkRecordsItsProvenance() {
    Http http = new Http(base);
    String stream = newStream("provenance");
    String path = "api/streams/" + stream + "/chunks";
    assertEquals(201, http.postJson(path, Http.chunk("m", "plain")).status());
    String two = "[" + Http.chunk("m", "p0") + "," + Http.chunk("m", "p1") + "]";
    assertEquals(
        201,
        http.postJson(
                path, two, "Producer-Id", "writer", "Producer-Epoch", "3", "Producer-Seq", "0")
            .status());
    // A resend of both with one more: the two stored are skipped, the third is number 2.
    String three =
        "["
            + Http.chunk("m", "p0")
            + ","
            + Http.chunk("m", "p1")
            + ","
            + Http.chunk("m", "p2")
            + "]";
    Http.Response resent =
        http.postJson(
            path, three, "Producer-Id", "writer", "Producer-Epoch", "3", "Producer-Seq", "0");
    assertEquals(201, resent.status(), resent.body());

    List<ChunkTable.Provenance> rows = ChunkTable.provenance(stream);
    assertEquals(List.of(1L, 2L, 3L, 4L), rows.stream().map(ChunkTable.Provenance::seq).toList());
    assertEquals("anonymous", rows.get(0).appendedBy(), "no authentication: anonymous, not NULL");
    assertEquals(null, rows.get(0).producerId(), "an append without producer headers names none");
    for (int i = 1; i <= 3; i++) {
      ChunkTable.Provenance row = rows.get(i);
      assertEquals("anonymous", row.appendedBy());
      assertEquals("writer", row.producerId());
      assertEquals(3L, row.producerEpoch());
      assertEquals((long) i - 1, row.producerSeq(), "the chunk's own number in the session");
    }
    for (ChunkTable.Provenance row : rows) {
      assertTrue(
          row.storedSecondsAgo() >= 0 && row.storedSecondsAgo() < 60,
          "stored by the database's clock moments ago: " + row);
    }
    org.awaitility.Awaitility.await("every chunk recorded as published")
        .atMost(java.time.Duration.ofSeconds(20))
        .until(
            () ->
                ChunkTable.provenance(stream).stream().allMatch(ChunkTable.Provenance::published));
  }

  @Test
  void aRolledBackAppendAndARejectedBatchLeaveNoHole() {
    ChunkTable.execute(
        "create or replace function inject_rollback() returns trigger language plpgsql as $$"
            + " begin if new.content = 'inject-rollback' then"
            + " raise exception 'rollback injected by AppendIT'; end if; return new; end $$");
    ChunkTable.execute("drop trigger if exists inject_rollback on chunks");
    ChunkTable.execute(
        "create trigger inject_rollback before insert on chunks for each row"
            + " execute function inject_rollback()");
    Http http = new Http(base);
    String stream = newStream("rollback");
    String path = "api/streams/" + stream + "/chunks";
    for (int i = 1; i <= 3; i++) {
      assertEquals(i, http.postJson(path, Http.chunk("m", "ok" + i)).json().get("seq").asLong());
    }

    Http.Response rolledBack =
        http.postJson(
            path, "[" + Http.chunk("m", "lost-a") + "," + Http.chunk("m", "inject-rollback") + "]");
    assertEquals(500, rolledBack.status(), rolledBack.body());
    assertEquals("internal-error", rolledBack.json().get("code").asText());
    assertFalse(rolledBack.body().contains("Exception"), rolledBack.body());

    Http.Response rejected =
        http.postJson(path, "[" + Http.chunk("m", "lost-b") + ",{\"messageId\":\"m\"}]");
    assertEquals(400, rejected.status(), rejected.body());

    assertEquals(4, http.postJson(path, Http.chunk("m", "ok4")).json().get("seq").asLong());
    List<ChunkTable.Row> rows = ChunkTable.chunks(stream);
    assertEquals(List.of(1L, 2L, 3L, 4L), rows.stream().map(ChunkTable.Row::seq).toList());
    assertEquals(
        List.of("ok1", "ok2", "ok3", "ok4"), rows.stream().map(ChunkTable.Row::content).toList());
  }

  @Test
  void appendsToDifferentStreamsDoNotWaitForOneAnother() throws Exception {
    Http http = new Http(base);
    String busy = newStream("busy");
    String free = newStream("free");
    assertEquals(
        201, http.postJson("api/streams/" + busy + "/chunks", Http.chunk("m", "a")).status());

    try (Connection holder = TestServices.database().connect()) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock =
          holder.prepareStatement("select head_seq from streams where stream_id = ? for update")) {
        lock.setString(1, busy);
        lock.executeQuery().close();
      }
      CompletableFuture<Http.Response> blocked =
          CompletableFuture.supplyAsync(
              () -> http.postJson("api/streams/" + busy + "/chunks", Http.chunk("m", "b")));

      // While the busy stream's row is locked, another stream appends freely.
      for (int i = 1; i <= 5; i++) {
        Http.Response response =
            http.postJson("api/streams/" + free + "/chunks", Http.chunk("m", "x" + i));
        assertEquals(201, response.status(), response.body());
        assertEquals(i, response.json().get("seq").asLong());
      }
      assertThrowsTimeout(blocked);
      holder.rollback();
      Http.Response released = blocked.get(30, TimeUnit.SECONDS);
      assertEquals(201, released.status(), released.body());
      assertEquals(2, released.json().get("seq").asLong());
    }
  }

  @Test
  void batchesGetConsecutiveSeqsAndStreamsCanBeReadCompletedAndPaged() {
    Http http = new Http(base);
    String stream = newStream("shapes");
    String path = "api/streams/" + stream + "/chunks";

    Http.Response single = http.postJson(path, Http.chunk("m1", "Hello"));
    assertEquals(201, single.status());
    assertEquals(stream, single.json().get("streamId").asText());
    assertEquals(1, single.json().get("seq").asLong());

    Http.Response batch =
        http.postJson(
            path,
            "["
                + Http.chunk("m1", ", ")
                + ","
                + Http.chunk("m1", "world")
                + ",{\"messageId\":\"m1\",\"content\":\"!\",\"final\":true}]");
    assertEquals(201, batch.status(), batch.body());
    assertEquals(2, batch.json().get("firstSeq").asLong());
    assertEquals(4, batch.json().get("lastSeq").asLong());

    Http.Response page = http.get(path + "?after=1&limit=2");
    assertEquals(200, page.status());
    assertEquals(4, page.json().get("headSeq").asLong());
    assertEquals(2, page.json().get("chunks").size());
    assertEquals(2, page.json().get("chunks").get(0).get("seq").asLong());
    assertEquals("world", page.json().get("chunks").get(1).get("content").asText());
    assertTrue(http.get(path + "?after=3").json().get("chunks").get(0).get("final").asBoolean());
    assertEquals(0, http.get(path + "?after=4").json().get("chunks").size());

    Http.Response complete = http.postJson("api/streams/" + stream + "/complete", "");
    assertEquals(200, complete.status(), complete.body());
    assertEquals(4, complete.json().get("lastSeq").asLong());
    assertEquals(
        4, http.postJson("api/streams/" + stream + "/complete", "").json().get("lastSeq").asLong());

    Http.Response refused = http.postJson(path, Http.chunk("m2", "late"));
    assertEquals(409, refused.status());
    assertEquals("stream-completed", refused.json().get("code").asText());
    assertEquals(4, ChunkTable.count("chunks", stream));

    Http.Response info = http.get("api/streams/" + stream);
    assertEquals("completed", info.json().get("status").asText());
    assertEquals(4, info.json().get("headSeq").asLong());
    assertTrue(info.json().hasNonNull("createdAt") && info.json().hasNonNull("completedAt"));
  }

  private static void assertThrowsTimeout(CompletableFuture<Http.Response> blocked)
      throws Exception {
    try {
      Http.Response early = blocked.get(700, TimeUnit.MILLISECONDS);
      throw new AssertionError("append to a locked stream did not wait: " + early.body());
    } catch (TimeoutException expected) {
      // still waiting for the row lock, as it must
    }
  }
}
