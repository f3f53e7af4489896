package io.chunkrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.config.RelayConfig.DeliverySettings;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.testing.Await;
import io.chunkrelay.wire.WireFormat;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery algorithm against a hand-driven feed and an in-memory log: exact, ordered delivery
 * whatever the interleaving of subscribe, read, publish, loss and back-pressure.
 */
class StreamConnectionTest {
  private static final String STREAM = "s";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final FakeLog log = new FakeLog();
  private final FakeFeed feed = new FakeFeed();
  private final RecordingSink sink = new RecordingSink();
  private final Metrics metrics = new Metrics();
  private Delivery delivery;

  private Delivery delivery(int maxQueuedFrames, DeliveryHooks hooks) {
    delivery =
        new Delivery(
            log,
            feed,
            new DeliverySettings(20, 300, maxQueuedFrames, 1024 * 1024),
            1000,
            hooks,
            metrics);
    return delivery;
  }

  /** The connection's sink answers a close as a client does: the connection hears it closed. */
  private static StreamConnection answering(StreamConnection connection, RecordingSink sink) {
    sink.whenClosed(connection::closed);
    return connection;
  }

  @AfterEach
  void stop() {
    if (delivery != null) {
      delivery.close();
    }
  }

  private StoredChunk appendAndPublish(String content) {
    StoredChunk chunk = log.append(STREAM, content);
    feed.publish(STREAM, chunk);
    return chunk;
  }

  private void appendN(int n) {
    for (int i = 0; i < n; i++) {
      log.append(STREAM, "c");
    }
  }

  @Test
  void aChunkPublishedBetweenConfirmedSubscribeAndBackfillArrivesOnce() {
    appendN(6);
    DeliveryHooks racing =
        new DeliveryHooks() {
          @Override
          public void subscribedBeforeBackfill(String streamId) {
            appendAndPublish("7");
          }
        };
    answering(delivery(1000, racing).open("c1", STREAM, 0, sink), sink);
    await(() -> sink.seqs().size() == 7);
    for (int i = 8; i <= 10; i++) {
      appendAndPublish(Integer.toString(i));
    }
    await(() -> sink.seqs().size() >= 10);
    assertEquals(range(1, 10), sink.seqs());
  }

  @Test
  void aChunkPublishedBetweenBackfillAndMergeArrivesOnce() {
    appendN(6);
    DeliveryHooks racing =
        new DeliveryHooks() {
          private boolean done;

          @Override
          public void backfilledBeforeMerge(String streamId) {
            if (!done) {
              done = true;
              appendAndPublish("7");
            }
          }
        };
    answering(delivery(1000, racing).open("c1", STREAM, 0, sink), sink);
    await(() -> sink.seqs().size() >= 7);
    for (int i = 8; i <= 10; i++) {
      appendAndPublish(Integer.toString(i));
    }
    await(() -> sink.seqs().size() >= 10);
    assertEquals(range(1, 10), sink.seqs());
  }

  @Test
  void nothingIsSentBeforeTheSubscribeIsConfirmed() throws Exception {
    appendN(3);
    feed.holdConfirmations();
    Delivery node = delivery(1000, DeliveryHooks.NONE);
    StreamConnection connection = answering(node.open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.SUBSCRIBING);
    Await.sleep(200);
    assertEquals(List.of(), sink.seqs());
    assertFalse(node.registry().isReady("c1"), "a connection waiting for Redis is not ready");
    feed.confirm(STREAM);
    await(() -> sink.seqs().size() == 3);
    assertTrue(node.registry().isReady("c1"));
  }

  @Test
  void aStreamThatExpiresUnderAQuietConnectionEndsItWithTheExpiredClose() {
    StreamConnection connection =
        answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    appendAndPublish("1");
    appendAndPublish("2");
    await(() -> sink.seqs().size() == 2);
    log.expire(STREAM);
    // The idle check reads the head, hears it expired, and the connection's read ends it.
    await(() -> connection.state() == DeliveryState.CLOSED);
    assertEquals(WireFormat.CLOSE_STREAM_EXPIRED, sink.closeCode());
    assertEquals("stream-expired earliestSeq=3", sink.closeReason());
    assertEquals(range(1, 2), sink.seqs(), "what was delivered stays delivered, nothing after");
  }

  @Test
  void aConnectionToAnExpiredStreamIsClosedWithoutAFrame() {
    appendN(3);
    log.expire(STREAM);
    StreamConnection connection =
        answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.CLOSED);
    assertEquals(WireFormat.CLOSE_STREAM_EXPIRED, sink.closeCode());
    assertEquals(List.of(), sink.seqs());
  }

  @Test
  void aGapInTheLiveFeedIsReadFromTheLog() {
    answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    appendAndPublish("1");
    await(() -> sink.seqs().size() == 1);
    log.append(STREAM, "2 (publish lost)");
    appendAndPublish("3");
    await(() -> sink.seqs().size() == 3);
    assertEquals(range(1, 3), sink.seqs());
  }

  @Test
  void liveDuplicatesAreDropped() {
    StoredChunk first = log.append(STREAM, "1");
    answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> sink.seqs().size() == 1);
    feed.publish(STREAM, first);
    feed.publish(STREAM, first, appendAndPublish("2"));
    await(() -> sink.seqs().size() >= 2);
    appendAndPublish("3");
    await(() -> sink.seqs().size() >= 3);
    assertEquals(range(1, 3), sink.seqs());
  }

  @Test
  void aLostLastPublishIsFoundWhenTheStreamGoesQuiet() {
    StreamConnection connection =
        answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    appendAndPublish("1");
    await(() -> sink.seqs().size() == 1);
    log.append(STREAM, "2 (the last publish, lost)");
    await(() -> sink.seqs().size() == 2);
    assertEquals(range(1, 2), sink.seqs());
    assertTrue(metrics.value("chunk_relay_idle_checks_total") >= 1);
  }

  @Test
  void quietConnectionsOfAStreamCostOneHeadReadPerIntervalAndShareTheirCatchUpRead() {
    Delivery node = delivery(1000, DeliveryHooks.NONE);
    appendAndPublish("1");
    int connections = 50;
    List<RecordingSink> sinks = new java.util.ArrayList<>();
    for (int i = 0; i < connections; i++) {
      RecordingSink each = new RecordingSink();
      sinks.add(each);
      answering(node.open("c" + i, STREAM, 0, each), each);
    }
    await(() -> sinks.stream().allMatch(each -> each.seqs().size() == 1));
    int headReadsBefore = log.headReads();
    int readsBefore = log.reads();
    long sharedBefore = metrics.value("chunk_relay_shared_reads_total");
    Await.sleep(1_500); // five idle intervals (300 ms) of silence
    int headReads = log.headReads() - headReadsBefore;
    assertTrue(headReads >= 1 && headReads <= 7, "head reads of a quiet stream: " + headReads);
    assertEquals(readsBefore, log.reads(), "connections at the head read no chunks");

    // The last publish is lost: every connection learns of it from the one head read per
    // interval, and connections reading the same range at once share one read.
    log.slowReads(50);
    log.append(STREAM, "2 (the last publish, lost)");
    await(() -> sinks.stream().allMatch(each -> each.seqs().equals(range(1, 2))));
    int reads = log.reads() - readsBefore;
    assertTrue(
        reads < connections / 2, "chunk reads for " + connections + " connections: " + reads);
    long shared = metrics.value("chunk_relay_shared_reads_total") - sharedBefore;
    assertEquals(connections, reads + shared, "each connection read or shared a read");
  }

  @Test
  void deliveryContinuesFromTheLogWhileTheFeedIsDownAndRepairsWhenItReturns() {
    answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    appendAndPublish("1");
    await(() -> sink.seqs().size() == 1);
    feed.down();
    for (int i = 2; i <= 5; i++) {
      log.append(STREAM, "while down " + i);
    }
    await(() -> sink.seqs().size() == 5);
    log.append(STREAM, "6, as Redis returns");
    feed.upAgain();
    appendAndPublish("7");
    await(() -> sink.seqs().size() == 7);
    assertEquals(range(1, 7), sink.seqs());
  }

  @Test
  void aFullQueueLagsAndRereadsTheLogWithoutLosingAnything() {
    StreamConnection connection =
        answering(delivery(16, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    sink.stall();
    for (int i = 1; i <= 200; i++) {
      appendAndPublish(Integer.toString(i));
    }
    await(() -> connection.state() == DeliveryState.LAGGING);
    assertTrue(metrics.value("chunk_relay_outbound_queue_frames_max") <= 16);
    sink.resume();
    await(
        () -> {
          sink.resume();
          return sink.seqs().size() == 200;
        });
    assertEquals(range(1, 200), sink.seqs());
    assertTrue(
        sink.maxConcurrentSends() <= Math.min(Sender.WINDOW, 16),
        "in flight: at most the sender's window, within the bounded queue");
    assertTrue(metrics.value("chunk_relay_outbound_queue_frames_max") <= 16);
    assertTrue(metrics.value("chunk_relay_lagging_total") >= 1);
  }

  @Test
  void theCompleteFrameComesAfterEveryChunkAndClosesNormally() {
    appendN(3);
    answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 1, sink), sink);
    await(() -> sink.seqs().size() == 2);
    log.append(STREAM, "4, published never");
    long last = log.complete(STREAM);
    feed.publishCompleted(STREAM, last);
    await(() -> sink.closeCode() == 1000);
    List<Frame> frames = sink.frames();
    assertEquals(range(2, 4), sink.seqs());
    assertTrue(frames.get(frames.size() - 1).last());
    assertEquals(4, frames.get(frames.size() - 1).seq());
    // The close is sent before the connection lets go of its subscription: wait for that, too.
    await(() -> feed.listenerCount(STREAM) == 0);
  }

  @Test
  void aRefusedSendClosesTheConnectionSoItsClientReconnects() {
    StreamConnection connection =
        answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    sink.refuseSends(new RejectedExecutionException("container stopped"));
    appendAndPublish("1");
    await(() -> sink.closeCode() == 1011);
    await(() -> delivery.registry().size() == 0 && feed.listenerCount(STREAM) == 0);
  }

  @Test
  void goingAwayClosesOpenConnectionsWith1001AndEveryConnectionOpenedAfterwards() {
    Delivery node = delivery(1000, DeliveryHooks.NONE);
    StreamConnection connection = answering(node.open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    node.goAway();
    assertEquals(1001, sink.closeCode());
    assertEquals(0, node.registry().size());
    RecordingSink late = new RecordingSink();
    StreamConnection opened = answering(node.open("c2", STREAM, 0, late), late);
    assertEquals(1001, late.closeCode(), "a connection opened while the node stops is sent away");
    await(() -> opened.state() == DeliveryState.CLOSED);
    appendAndPublish("1");
    Await.sleep(200);
    assertEquals(List.of(), late.seqs());
    assertEquals(0, node.registry().size());
    node.goAway(); // a second call (the node's close) does nothing more
  }

  @Test
  void aFailingLogReadIsRetried() {
    appendN(2);
    log.failing(true);
    answering(delivery(1000, DeliveryHooks.NONE).open("c1", STREAM, 0, sink), sink);
    await(() -> log.reads() >= 3);
    assertEquals(List.of(), sink.seqs());
    log.failing(false);
    await(() -> sink.seqs().size() == 2);
  }

  @Test
  void registryFailsClosed() {
    Delivery node = delivery(1000, DeliveryHooks.NONE);
    assertFalse(node.registry().isReady("nobody"), "an unknown connection is never ready");
    StreamConnection connection = answering(node.open("c1", STREAM, 0, sink), sink);
    await(() -> node.registry().isReady("c1"));
    StreamConnection twin = node.connection("c1", STREAM, 0, new RecordingSink());
    IllegalStateException duplicate =
        assertThrows(IllegalStateException.class, () -> node.registry().register(twin));
    assertTrue(duplicate.getMessage().contains("already registered"));
    connection.closed();
    await(() -> !node.registry().isReady("c1") && node.registry().size() == 0);
    assertEquals(0, feed.listenerCount(STREAM));
  }

  @Test
  void aMessageTheNodeCannotReadMakesTheConnectionReadTheLogWithoutWaitingForTheIdleCheck() {
    delivery =
        new Delivery(
            log,
            feed,
            new DeliverySettings(20, 3_600_000, 1000, 1024 * 1024),
            1000,
            DeliveryHooks.NONE,
            metrics);
    StreamConnection connection = answering(delivery.open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    log.append(STREAM, "1, published by a node of another version");
    feed.unreadable(STREAM);
    await(() -> sink.seqs().size() == 1);
    assertEquals(range(1, 1), sink.seqs());
    assertEquals(0, metrics.value("chunk_relay_idle_checks_total"));
  }

  @Test
  void theSendPathAsksTheRegistryAndHoldsFramesForAConnectionItDoesNotHold() {
    Delivery node = delivery(1000, DeliveryHooks.NONE);
    StreamConnection connection = answering(node.open("c1", STREAM, 0, sink), sink);
    await(() -> connection.state() == DeliveryState.LIVE);
    node.registry().unregister(connection);
    appendAndPublish("1");
    await(() -> metrics.value("chunk_relay_outbound_queue_frames_max") >= 1);
    Await.sleep(200);
    assertEquals(List.of(), sink.seqs(), "nothing is sent to a connection the registry lacks");
    node.registry().register(connection);
    appendAndPublish("2");
    await(() -> sink.seqs().size() == 2);
    assertEquals(range(1, 2), sink.seqs(), "held, not dropped");
  }

  @Test
  void randomLossDuplicationOutagesAndStallsNeverLoseOrRepeatAChunk() {
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      FakeLog seedLog = new FakeLog();
      FakeFeed seedFeed = new FakeFeed();
      RecordingSink seedSink = new RecordingSink();
      try (Delivery node =
          new Delivery(
              seedLog,
              seedFeed,
              new DeliverySettings(10, 100, 32, 1024 * 1024),
              64,
              DeliveryHooks.NONE,
              new Metrics())) {
        int total = 500;
        int after = random.nextInt(5);
        for (int i = 0; i < after + 3; i++) {
          seedLog.append(STREAM, "early");
        }
        answering(node.open("c", STREAM, after, seedSink), seedSink);
        StoredChunk previous = null;
        for (int i = seedLog.chunksAfter(STREAM, 0, 10_000).chunks().size(); i < total; i++) {
          StoredChunk chunk = seedLog.append(STREAM, "c" + i);
          int dice = random.nextInt(100);
          if (dice < 70) {
            seedFeed.publish(STREAM, chunk);
          } else if (dice < 80 && previous != null) {
            seedFeed.publish(STREAM, previous, chunk);
          } else if (dice < 82) {
            seedFeed.down();
          } else if (dice < 84) {
            seedFeed.upAgain();
          } else if (dice < 87) {
            seedSink.stall();
          } else if (dice < 92) {
            seedSink.resume();
          }
          // else: this publish is lost
          previous = chunk;
          if (random.nextInt(10) == 0) {
            Await.sleep(random.nextInt(3));
          }
        }
        seedFeed.upAgain();
        seedSink.resume();
        long expected = total - after;
        await(
            () -> {
              seedSink.resume();
              return seedSink.seqs().size() >= expected;
            });
        assertEquals(range(after + 1, total), seedSink.seqs(), "seed " + seed);
      }
    }
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  private static void await(BooleanSupplier condition) {
    Await.until(condition, WAIT);
  }
}
