package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.client.Appended;
import io.chunkrelay.client.Chunk;
import io.chunkrelay.client.ChunkRelayClient;
import io.chunkrelay.client.ChunkRelayException;
import io.chunkrelay.client.Draft;
import io.chunkrelay.client.Subscription;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.testing.Await;
import java.net.URI;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Java client against the deployed WAR: a subscriber whose connection is cut again and again
 * (through a TCP proxy) still gets every chunk once and in order, and a producer whose answer never
 * comes retries with its idempotency key without storing anything twice.
 */
@ExtendWith(ArquillianExtension.class)
class JavaClientIT {
  private static final int CHUNKS = 200;

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aSubscriberCutOffRepeatedlyGetsEveryChunkOnceInOrder() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String stream = "java-client-" + UUID.randomUUID();
    List<Chunk> received = Collections.synchronizedList(new ArrayList<>());
    List<Subscription.State> states = Collections.synchronizedList(new ArrayList<>());
    try (FaultyProxy proxy = new FaultyProxy("127.0.0.1", base.getPort());
        ChunkRelayClient producer = client(base.toURI());
        ChunkRelayClient consumer = client(viaProxy(proxy))) {
      Subscription subscription =
          consumer.subscribe(
              stream,
              0,
              new Subscription.Listener() {
                @Override
                public void onChunk(Chunk chunk) {
                  received.add(chunk);
                }

                @Override
                public void onStateChange(Subscription.State state) {
                  states.add(state);
                }
              });
      CompletableFuture<Void> producing =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 1; i <= CHUNKS; i++) {
                  producer.append(stream, "m1", "w" + i + " ", i == CHUNKS);
                  Await.sleep(3);
                }
                producer.complete(stream);
              });
      for (int cut = 0; cut < 4; cut++) {
        Await.sleep(100 + random.nextInt(300));
        proxy.cut();
        Await.sleep(random.nextInt(400));
        proxy.heal();
      }
      subscription.drop();
      producing.get(60, TimeUnit.SECONDS);
      long lastSeq = subscription.completion().get(60, TimeUnit.SECONDS);

      String why = "seed " + seed + ", states " + states;
      assertEquals(CHUNKS, lastSeq, why);
      assertEquals(
          LongStream.rangeClosed(1, CHUNKS).boxed().toList(),
          received.stream().map(Chunk::seq).toList(),
          why);
      assertEquals("w7 ", received.get(6).content());
      assertTrue(received.get(CHUNKS - 1).isFinal());
      assertTrue(subscription.reconnects() >= 1, "the cuts never hit the connection: " + why);
      assertTrue(states.contains(Subscription.State.RECONNECTING), why);
      assertEquals(Subscription.State.COMPLETE, subscription.state());
    }
  }

  @Test
  void aSubscriberWhoseConnectionGoesSilentNoticesByPingAndResumes() throws Exception {
    String stream = "java-silent-" + UUID.randomUUID();
    List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
    try (FaultyProxy proxy = new FaultyProxy("127.0.0.1", base.getPort());
        ChunkRelayClient producer = client(base.toURI());
        ChunkRelayClient consumer =
            ChunkRelayClient.builder(viaProxy(proxy))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .pingInterval(Duration.ofMillis(300))
                .build()) {
      Subscription subscription = consumer.subscribe(stream, 0, chunk -> seqs.add(chunk.seq()));
      for (int i = 1; i <= 20; i++) {
        producer.append(stream, "m1", "w" + i, false);
      }
      await("the first 20 chunks").atMost(Duration.ofSeconds(30)).until(() -> seqs.size() >= 20);
      // The connection neither closes nor passes a byte from now on: only a ping can tell.
      proxy.silenceOpenConnections();
      for (int i = 21; i <= 40; i++) {
        producer.append(stream, "m1", "w" + i, i == 40);
      }
      producer.complete(stream);

      assertEquals(40, subscription.completion().get(30, TimeUnit.SECONDS));
      assertEquals(LongStream.rangeClosed(1, 40).boxed().toList(), seqs);
      assertTrue(subscription.reconnects() >= 1, "the silent connection was never replaced");
    }
  }

  @Test
  void aProducerWhoseAnswersAreLostRetriesAndTheChunkIsStoredOnce() throws Exception {
    String stream = "java-producer-" + UUID.randomUUID();
    try (ChunkRelayClient producer =
        ChunkRelayClient.builder(base.toURI())
            .requestTimeout(Duration.ofMillis(700))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .maxAttempts(20)
            .build()) {
      assertEquals(1, producer.append(stream, "m1", "before ", false).firstSeq());
      CompletableFuture<Appended> append;
      // Hold the stream's row lock: the append commits only when the test lets go, well after the
      // client stopped waiting for its first answers and sent the same request again.
      try (Connection lock = TestServices.database().connect()) {
        lock.setAutoCommit(false);
        try (PreparedStatement row =
            lock.prepareStatement("select head_seq from streams where stream_id = ? for update")) {
          row.setString(1, stream);
          row.executeQuery().close();
        }
        append =
            CompletableFuture.supplyAsync(
                () -> producer.append(stream, new Draft("m1", "once ", false), "key-" + stream));
        // The first request waits behind the lock until its answer is given up for lost and the
        // same request comes again: then two of them wait for a group.
        Http http = new Http(base);
        await("the producer's retry")
            .atMost(Duration.ofSeconds(20))
            .until(() -> http.metric("chunk_relay_appends_pending") >= 2);
        lock.commit();
      }
      Appended appended = append.get(30, TimeUnit.SECONDS);

      assertEquals(2, appended.firstSeq());
      assertTrue(appended.replayed(), "the answer that arrived must be a retry's replay");
      assertEquals(
          List.of("before ", "once "),
          ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
      assertEquals(2, ChunkTable.head(stream));
    }
  }

  @Test
  void refusalsCarryTheProblemCodeAndAreNotRetried() throws Exception {
    String stream = "java-refused-" + UUID.randomUUID();
    try (ChunkRelayClient producer = client(base.toURI())) {
      producer.append(stream, "m1", "last", true);
      assertEquals(1, producer.complete(stream));
      ChunkRelayException refused =
          assertThrows(
              ChunkRelayException.class, () -> producer.append(stream, "m1", "late", false));
      assertEquals(409, refused.status());
      assertEquals("stream-completed", refused.code());

      Subscription beyond = producer.subscribe(stream, 5, chunk -> {});
      Exception failed =
          assertThrows(Exception.class, () -> beyond.completion().get(30, TimeUnit.SECONDS));
      assertEquals("after-beyond-head", ((ChunkRelayException) failed.getCause()).code());
      assertEquals(Subscription.State.FAILED, beyond.state());
      assertEquals(1, ChunkTable.count("chunks", stream));
    }
  }

  private static ChunkRelayClient client(URI uri) {
    return ChunkRelayClient.builder(uri)
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .build();
  }

  private URI viaProxy(FaultyProxy proxy) throws Exception {
    return new URI("http", null, "127.0.0.1", proxy.port(), base.getPath(), null, null);
  }
}
