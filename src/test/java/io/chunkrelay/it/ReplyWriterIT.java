package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.client.Chunk;
import io.chunkrelay.client.ChunkRelayClient;
import io.chunkrelay.client.ChunkRelayException;
import io.chunkrelay.client.ReplyWriter;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.testing.Await;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Java client's streaming producer against the deployed WAR: tokens reach a subscriber while
 * the reply is still being written; a writer whose connection is cut at random points mid-reply
 * (through a TCP proxy) resends, and the stream holds every token once, in order; a writer of an
 * older epoch is fenced off.
 */
@ExtendWith(ArquillianExtension.class)
class ReplyWriterIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int TOKENS = 80;

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aSubscriberSeesTokensBeforeTheReplyIsFinished() throws Exception {
    String stream = "reply-live-" + UUID.randomUUID();
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    try (ChunkRelayClient relay = client(base.toURI())) {
      relay.subscribe(stream, 0, chunk -> seen.add(chunk.content()));
      try (ReplyWriter reply = relay.replyWriter(stream, "m1")) {
        reply.write("Hello");
        reply.write(", ");
        reply.write("world");
        Await.until(() -> seen.size() == 3, WAIT);
        assertEquals(List.of("Hello", ", ", "world"), seen);
        ReplyWriter.Reply stored = reply.finish("!");
        assertEquals(4, stored.chunks());
        assertEquals(4, stored.lastSeq());
      }
      Await.until(() -> seen.size() == 4, WAIT);
    }
  }

  @Test
  void aWriterCutOffMidReplyStoresEveryTokenOnceInOrder() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String stream = "reply-cut-" + UUID.randomUUID();
    List<Chunk> received = Collections.synchronizedList(new ArrayList<>());
    List<String> tokens = IntStream.range(0, TOKENS).mapToObj(i -> "t" + i + " ").toList();
    try (FaultyProxy proxy = new FaultyProxy("127.0.0.1", base.getPort());
        ChunkRelayClient consumer = client(base.toURI());
        ChunkRelayClient producer = client(viaProxy(proxy))) {
      consumer.subscribe(stream, 0, received::add);
      ReplyWriter.Reply stored;
      try (ReplyWriter reply = producer.replyWriter(stream, "m1")) {
        int next = 0;
        for (int cut = 0; cut < 3; cut++) {
          int until = next + 5 + random.nextInt(15);
          for (; next < until; next++) {
            reply.write(tokens.get(next));
            Await.sleep(random.nextInt(4));
          }
          proxy.cut();
          Await.sleep(random.nextInt(200));
          proxy.heal();
        }
        for (; next < TOKENS; next++) {
          reply.write(tokens.get(next));
        }
        stored = reply.finish("");
      }
      String why = "seed " + seed;
      assertEquals(TOKENS + 1, stored.chunks(), why);
      List<String> expected = new ArrayList<>(tokens);
      expected.add("");
      assertEquals(
          expected,
          ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList(),
          "every token once, in order; " + why);
      ChunkTable.gapFreeSeqsByContent(stream);
      Await.until(() -> received.size() >= TOKENS + 1, WAIT);
      assertEquals(
          LongStream.rangeClosed(1, TOKENS + 1).boxed().toList(),
          received.stream().map(Chunk::seq).toList(),
          why);
      assertTrue(received.get(TOKENS).isFinal());
    }
  }

  @Test
  void aWriterOfAnOlderEpochIsFencedOff() throws Exception {
    String stream = "reply-epoch-" + UUID.randomUUID();
    try (ChunkRelayClient relay = client(base.toURI())) {
      ReplyWriter zombie = relay.replyWriter(stream, "m1", "assistant-7", 0);
      zombie.write("old ");
      Await.until(() -> ChunkTable.head(stream) == 1, WAIT);
      try (ReplyWriter restarted = relay.replyWriter(stream, "m2", "assistant-7", 1)) {
        restarted.finish("new");
      }
      ChunkRelayException refused =
          assertThrows(ChunkRelayException.class, () -> zombie.finish("late"));
      assertEquals(403, refused.status());
      assertEquals("stale-producer-epoch", refused.code());
      assertEquals(
          List.of("old ", "new"),
          ChunkTable.chunks(stream).stream().map(ChunkTable.Row::content).toList());
    }
  }

  private static ChunkRelayClient client(URI uri) {
    return ChunkRelayClient.builder(uri)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
        .maxAttempts(20)
        .build();
  }

  private URI viaProxy(FaultyProxy proxy) throws Exception {
    return new URI("http", null, "127.0.0.1", proxy.port(), base.getPath(), null, null);
  }
}
