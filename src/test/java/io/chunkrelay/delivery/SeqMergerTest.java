package io.chunkrelay.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.chunk.StoredChunk;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The seq merger without threads, clocks or sleeps: the chunk-7 interleavings step by step, and
 * random schedules of appends, lost, duplicated and reordered publishes, missed messages, reads of
 * any page size and a client that reads slowly, each checked to deliver every chunk once, in order.
 */
class SeqMergerTest {
  /** One thing that can happen to a connection, in a generated schedule. */
  enum Step {
    SUBSCRIBED,
    APPEND_AND_PUBLISH,
    APPEND_AND_LOSE_THE_PUBLISH,
    APPEND_AND_PUBLISH_WITH_THE_PREVIOUS,
    REPUBLISH_AN_OLD_RANGE,
    MESSAGE_MISSED,
    READ_THE_LOG,
    CLIENT_TAKES_ONE,
    CLIENT_TAKES_ALL,
    COMPLETE_AND_PUBLISH,
    COMPLETE_AND_LOSE_THE_PUBLISH,
    FORGE_A_CHUNK_BEYOND_THE_HEAD,
    FORGE_A_COMPLETION
  }

  /** A connection's world: the log as committed, the merger, and what the client received. */
  private static final class World implements SeqMerger.Tally {
    final List<Long> received = new ArrayList<>();
    final int pageChunks;
    final int maxQueuedFrames;
    final SeqMerger merger;
    long head;
    boolean completed;
    boolean completeReceived;
    int deepestQueue;

    World(long head, long after, int pageChunks, int maxQueuedFrames) {
      this.head = head;
      this.pageChunks = pageChunks;
      this.maxQueuedFrames = maxQueuedFrames;
      this.merger = new SeqMerger(after, maxQueuedFrames, 1 << 20, this);
      merger.subscribing();
    }

    @Override
    public void queued(int frames, long bytes) {
      deepestQueue = Math.max(deepestQueue, frames);
    }

    long append() {
      return ++head;
    }

    void publish(long from, long to) {
      merger.live(new LiveEvent(frames(from, to), LiveEvent.NOT_COMPLETED));
    }

    void publishCompleted() {
      merger.live(new LiveEvent(List.of(), head));
    }

    /** Runs the read the merger asks for, as the shell would. */
    boolean read() {
      if (!merger.readWanted()) {
        return false;
      }
      long from = merger.next();
      List<Frame> page = frames(from, Math.min(head, from + pageChunks - 1));
      merger.page(
          page,
          page.size() == pageChunks,
          completed ? head : LiveEvent.NOT_COMPLETED,
          completed ? "chain-" + head : null,
          head);
      return true;
    }

    /** The client takes the frame being sent, if any. */
    boolean take() {
      Frame frame = merger.head();
      if (frame == null) {
        return false;
      }
      assertFalse(completeReceived, "nothing after the complete frame");
      if (frame.last()) {
        completeReceived = true;
        assertEquals(head, frame.seq(), "the complete frame names the last seq");
      } else {
        received.add(frame.seq());
      }
      merger.sent();
      return true;
    }

    /**
     * Lets time pass until nothing more happens: reads, sends and idle checks, as the shell does.
     */
    void settle() {
      for (int i = 0; i < 100_000; i++) {
        if (read() || take()) {
          continue;
        }
        if (merger.state() == DeliveryState.LIVE && (completed || merger.next() <= head)) {
          merger.mayHaveMissed(); // the idle check of a quiet stream
          continue;
        }
        return;
      }
      throw new AssertionError("delivery did not settle");
    }

    void assertPrefixFrom(long after) {
      assertEquals(range(after + 1, after + received.size()), received, "once each, in order");
    }
  }

  @Property(tries = 500)
  void everyChunkArrivesOnceInOrderWhateverTheSchedule(
      @ForAll @IntRange(max = 8) int initialChunks,
      @ForAll @IntRange(max = 8) int afterWanted,
      @ForAll @IntRange(min = 1, max = 6) int pageChunks,
      @ForAll @IntRange(min = 2, max = 8) int maxQueuedFrames,
      @ForAll @Size(max = 300) List<Step> schedule) {
    long after = Math.min(afterWanted, initialChunks);
    World world = new World(initialChunks, after, pageChunks, maxQueuedFrames);
    for (Step step : schedule) {
      if (world.completed && step.name().startsWith("APPEND")) {
        continue; // a completed stream takes no more chunks
      }
      switch (step) {
        case SUBSCRIBED -> world.merger.subscribed();
        case APPEND_AND_PUBLISH -> {
          long seq = world.append();
          world.publish(seq, seq);
        }
        case APPEND_AND_LOSE_THE_PUBLISH -> world.append();
        case APPEND_AND_PUBLISH_WITH_THE_PREVIOUS -> {
          long seq = world.append();
          world.publish(Math.max(1, seq - 1), seq);
        }
        case REPUBLISH_AN_OLD_RANGE -> {
          if (world.head > 0) {
            world.publish(Math.max(1, world.head - 3), world.head - 1);
          }
        }
        case MESSAGE_MISSED -> world.merger.mayHaveMissed();
        case READ_THE_LOG -> world.read();
        case CLIENT_TAKES_ONE -> world.take();
        case CLIENT_TAKES_ALL -> {
          while (world.take()) {
            // drain
          }
        }
        case COMPLETE_AND_PUBLISH -> {
          world.completed = true;
          world.publishCompleted();
        }
        case COMPLETE_AND_LOSE_THE_PUBLISH -> world.completed = true;
        // Sealed, yet not borne out by the log (a seq no schedule reaches, a completion the log
        // does not hold): neither is shown or acted on, nor holds anything back.
        case FORGE_A_CHUNK_BEYOND_THE_HEAD ->
            world.merger.live(
                new LiveEvent(
                    frames(world.head + 1_000, world.head + 1_000), LiveEvent.NOT_COMPLETED));
        case FORGE_A_COMPLETION -> {
          if (!world.completed) {
            world.merger.live(new LiveEvent(List.of(), Math.max(0, world.head - 1)));
          }
        }
      }
      world.assertPrefixFrom(after);
      if (world.merger.state() == DeliveryState.SUBSCRIBING) {
        assertNull(world.merger.head(), "nothing is sent before the subscription is confirmed");
      }
    }
    world.merger.subscribed();
    world.settle();
    assertEquals(range(after + 1, world.head), world.received, "every chunk once, in order");
    assertEquals(world.completed, world.completeReceived, "the complete frame iff completed");
    assertTrue(world.deepestQueue <= maxQueuedFrames, "the outbound queue stays bounded");
  }

  @Test
  void chunkSevenPublishedBetweenConfirmedSubscribeAndTheReadArrivesOnce() {
    World world = new World(6, 0, 100, 100);
    world.merger.subscribed();
    world.publish(world.append(), 7); // heard live, and in the log the read will see
    world.read();
    world.settle();
    assertEquals(range(1, 7), world.received);
  }

  @Test
  void chunkSevenHeardBeforeTheReadOfOneToSixIsMergedAfterIt() {
    World world = new World(6, 0, 100, 100);
    world.merger.subscribed();
    List<Frame> oneToSix = frames(world.merger.next(), 6);
    world.publish(world.append(), 7); // committed after the read, heard before its merge
    world.merger.page(oneToSix, false, LiveEvent.NOT_COMPLETED, null, 6);
    world.settle();
    assertEquals(range(1, 7), world.received);
    assertEquals(DeliveryState.LIVE, world.merger.state());
  }

  @Test
  void aLiveChunkBeyondNextMakesTheMergerReadTheGapFirst() {
    World world = new World(0, 0, 100, 100);
    world.merger.subscribed();
    world.settle();
    world.append(); // seq 1, its publish lost
    world.publish(world.append(), 2);
    assertNull(world.merger.head(), "chunk 2 waits for chunk 1");
    assertTrue(world.merger.readWanted());
    world.settle();
    assertEquals(range(1, 2), world.received);
  }

  @Test
  void aFullQueueLagsDropsNothingAndRereadsOnceHalfDrained() {
    World world = new World(0, 0, 100, 4);
    world.merger.subscribed();
    world.settle();
    for (int i = 0; i < 10; i++) {
      long seq = world.append();
      world.publish(seq, seq);
    }
    assertEquals(DeliveryState.LAGGING, world.merger.state());
    world.settle();
    assertEquals(range(1, 10), world.received);
  }

  @Test
  void anUnreadableMessageWhileReadingMakesTheMergerReadAgainBeforeGoingLive() {
    World world = new World(3, 0, 100, 100);
    world.merger.subscribed();
    List<Frame> oneToThree = frames(1, 3);
    world.append(); // 4, committed after the read, announced in a message this node cannot read
    world.merger.mayHaveMissed();
    world.merger.page(oneToThree, false, LiveEvent.NOT_COMPLETED, null, 3);
    assertTrue(world.merger.readWanted(), "reads again instead of trusting the feed");
    world.read();
    while (world.take()) {
      // the client reads everything queued
    }
    assertEquals(range(1, 4), world.received, "without waiting for an idle check");
    assertEquals(DeliveryState.LIVE, world.merger.state());
  }

  @Test
  void aSealedSeqFarBeyondTheLogIsDroppedAfterThreeReadsAndTheRealChunksAndEndStillArrive() {
    World world = new World(2, 0, 100, 100);
    world.merger.subscribed();
    world.settle();
    long huge = (1L << 53) - 1;
    world.merger.live(
        new LiveEvent(
            List.of(Frame.of(new StoredChunk(huge, "m", "forged", false, Instant.EPOCH))),
            LiveEvent.NOT_COMPLETED));
    int reads = 0;
    while (world.read()) {
      reads++;
    }
    assertEquals(SeqMerger.CONFIRMING_READS, reads, "the log is asked, a bounded number of times");
    assertEquals(DeliveryState.LIVE, world.merger.state(), "then the connection goes on live");
    world.publish(world.append(), 3);
    world.completed = true;
    world.publishCompleted();
    world.settle();
    assertEquals(range(1, 3), world.received);
    assertTrue(world.completeReceived, "the completion is not held back by the forged seq");
  }

  @Test
  void aCompletionHeardLiveIsActedOnOnlyOnceTheLogHoldsIt() {
    World world = new World(3, 0, 100, 100);
    world.merger.subscribed();
    world.settle();
    world.merger.live(new LiveEvent(List.of(), 2)); // sealed, but the log holds no completion
    world.settle();
    assertFalse(world.completeReceived, "a completion the log does not hold ends nothing");
    assertEquals(DeliveryState.LIVE, world.merger.state());
    world.publish(world.append(), 4);
    world.completed = true;
    world.publishCompleted();
    assertTrue(world.merger.readWanted(), "a real completion is read from the log");
    world.settle();
    assertEquals(range(1, 4), world.received);
    assertTrue(world.completeReceived);
  }

  /** The frames of chunks {@code from..to} as the log holds them. */
  private static List<Frame> frames(long from, long to) {
    List<Frame> frames = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      frames.add(Frame.of(new StoredChunk(seq, "m", "c" + seq, false, Instant.EPOCH)));
    }
    return frames;
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }
}
