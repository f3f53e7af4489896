package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.testing.Json;
import java.net.URL;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Promises 1 and 2 under group commit: 16 concurrent producers over 40 streams send single chunks
 * and batches of random sizes, among them members that must be refused alone (an oversized chunk,
 * an append to a completed stream, a batch holding a chunk the database rejects mid-group through
 * an injected trigger) and idempotent twins racing each other. Checked by SQL afterwards: every
 * acknowledged chunk is stored once at the seq it was acknowledged with, every stream's seqs are 1
 * to its head without holes, nothing of a refused request is stored, and its neighbours in the same
 * groups were stored all the same.
 */
@ExtendWith(ArquillianExtension.class)
class GroupCommitIT {
  private static final int PRODUCERS = 16;
  private static final int STREAMS = 40;
  private static final int REQUESTS_EACH = 60;
  private static final String POISON = "poison: the database refuses this chunk";

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @AfterEach
  void removeTheInjectedFault() {
    ChunkTable.execute("drop trigger if exists chunks_refuse_poison on chunks");
  }

  /** What a producer sent and how the node answered. */
  private record Sent(String stream, List<String> contents, int status, long firstSeq) {}

  @Test
  void concurrentAppendsCommittedInGroupsAreStoredOnceGapFreeAndRefusalsStayAlone()
      throws Exception {
    ChunkTable.execute(
        "create or replace function chunks_refuse_poison() returns trigger language plpgsql as $$"
            + " begin if new.content = '"
            + POISON.replace("'", "''")
            + "' then raise exception 'injected failure' using errcode = 'P0001'; end if;"
            + " return new; end $$");
    ChunkTable.execute(
        "create trigger chunks_refuse_poison before insert on chunks"
            + " for each row execute function chunks_refuse_poison()");
    Http http = new Http(base);
    String run = "group-" + UUID.randomUUID();
    List<String> streams = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      streams.add(run + "-" + s);
    }
    List<String> completed = List.of(run + "-done-1", run + "-done-2");
    for (String stream : completed) {
      assertEquals(201, http.postJson(api(stream), Http.chunk("m", stream + " only")).status());
      assertEquals(200, http.postJson("api/streams/" + stream + "/complete", "").status());
    }
    long groupsBefore = http.metric("chunk_relay_group_appends_count");
    long appendsBefore = http.metric("chunk_relay_group_appends_sum");

    List<Sent> sent = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS * 2);
    try {
      List<Future<List<Sent>>> producers = new ArrayList<>();
      for (int p = 0; p < PRODUCERS; p++) {
        long seed = 31L * p + 7;
        int producer = p;
        producers.add(
            pool.submit(() -> produce(http, pool, new Random(seed), producer, streams, completed)));
      }
      for (Future<List<Sent>> producer : producers) {
        sent.addAll(producer.get(120, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }

    Map<String, Map<String, Long>> acknowledged = new HashMap<>();
    Set<String> refused = ConcurrentHashMap.newKeySet();
    for (Sent request : sent) {
      if (request.status() == 201) {
        Map<String, Long> stream =
            acknowledged.computeIfAbsent(request.stream(), s -> new HashMap<>());
        for (int i = 0; i < request.contents().size(); i++) {
          Long earlier = stream.put(request.contents().get(i), request.firstSeq() + i);
          assertTrue(
              earlier == null || earlier == request.firstSeq() + i,
              "a twin got other seqs: " + request);
        }
      } else {
        refused.addAll(request.contents());
      }
    }
    assertTrue(
        sent.stream()
            .map(Sent::status)
            .collect(Collectors.toSet())
            .containsAll(Set.of(201, 409, 413, 500)),
        "every kind of request happened: " + sent.stream().map(Sent::status).distinct().toList());
    for (String stream : streams) {
      Map<String, Long> stored = ChunkTable.gapFreeSeqsByContent(stream);
      assertEquals(
          acknowledged.getOrDefault(stream, Map.of()),
          stored,
          stream + ": exactly the acknowledged chunks, each at its acknowledged seq");
      assertTrue(stored.keySet().stream().noneMatch(refused::contains), stream + ": refused kept");
    }
    for (String stream : completed) {
      assertEquals(1, ChunkTable.count("chunks", stream), "a completed stream took nothing");
    }
    long groups = http.metric("chunk_relay_group_appends_count") - groupsBefore;
    long appends = http.metric("chunk_relay_group_appends_sum") - appendsBefore;
    assertTrue(appends > groups, "some groups held several appends: " + appends + " in " + groups);
  }

  /** One producer's requests: mostly good appends, some that must be refused, some twins. */
  private static List<Sent> produce(
      Http http,
      ExecutorService pool,
      Random random,
      int producer,
      List<String> streams,
      List<String> completed)
      throws Exception {
    List<Sent> sent = new ArrayList<>();
    for (int r = 0; r < REQUESTS_EACH; r++) {
      String stream = streams.get(random.nextInt(streams.size()));
      int size = 1 + random.nextInt(random.nextBoolean() ? 3 : 40);
      List<String> contents = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        contents.add("p" + producer + "-r" + r + "-c" + i);
      }
      int dice = random.nextInt(100);
      if (dice < 4) {
        contents.set(random.nextInt(size), "x".repeat(70_000)); // beyond the 64 KiB chunk limit
      } else if (dice < 8) {
        stream = completed.get(random.nextInt(completed.size()));
      } else if (dice < 12) {
        contents.set(random.nextInt(size), POISON);
      } else if (dice < 20) {
        sent.addAll(twins(http, pool, stream, contents, producer + "-" + r));
        continue;
      }
      sent.add(send(http, stream, contents, size > 1 || random.nextBoolean(), null));
    }
    return sent;
  }

  /** The same keyed request sent twice at the same moment. */
  private static List<Sent> twins(
      Http http, ExecutorService pool, String stream, List<String> contents, String key)
      throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Sent>> both = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      both.add(
          pool.submit(
              () -> {
                start.await();
                return send(http, stream, contents, true, key);
              }));
    }
    start.countDown();
    List<Sent> sent = new ArrayList<>();
    for (Future<Sent> twin : both) {
      Sent one = twin.get(60, TimeUnit.SECONDS);
      assertEquals(201, one.status(), "a twin was refused");
      sent.add(one);
    }
    assertEquals(sent.get(0).firstSeq(), sent.get(1).firstSeq(), "twins got other seqs");
    return sent;
  }

  private static Sent send(
      Http http, String stream, List<String> contents, boolean batch, String key) {
    String body;
    if (batch) {
      ArrayNode array = Json.MAPPER.createArrayNode();
      contents.forEach(c -> array.addObject().put("messageId", "m").put("content", c));
      body = array.toString();
    } else {
      body = Http.chunk("m", contents.get(0));
    }
    Http.Response response =
        key == null
            ? http.postJson(api(stream), body)
            : http.postJson(api(stream), body, "Idempotency-Key", key);
    long firstSeq = -1;
    if (response.status() == 201) {
      firstSeq = response.json().path(batch ? "firstSeq" : "seq").asLong();
    } else {
      String code = response.json().path("code").asText();
      String expected =
          switch (response.status()) {
            case 409 -> "stream-completed";
            case 413 -> "chunk-too-large";
            case 500 -> "internal-error";
            default -> "an unexpected answer: " + response.body();
          };
      assertEquals(expected, code, response.body());
    }
    return new Sent(stream, contents, response.status(), firstSeq);
  }

  private static String api(String stream) {
    return "api/streams/" + stream + "/chunks";
  }
}
