package io.chunkrelay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.metrics.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Which pending appends form the next group: arrival order, the group's bounds, twins of one
 * Idempotency-Key apart, held streams backed off in place, and appends refused unwritten when they
 * waited too long or the node stops. No threads and a hand-moved clock: every group asked for is
 * ready to be taken.
 */
class AppendQueueTest {
  private final Metrics metrics = new Metrics();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private static AppendRequest append(String stream, int chunks) {
    List<NewChunk> content = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      content.add(new NewChunk("m", stream + "-" + i, false));
    }
    return AppendRequest.of(stream, content, chunks > 1);
  }

  private AppendQueue queue(int maxAppends, int maxChunks, long maxWaitMillis) {
    return new AppendQueue(
        new GroupLimits(maxAppends, maxChunks, 0, maxWaitMillis), metrics, now::get);
  }

  private static List<String> streams(List<PendingAppend> group) {
    return group.stream().map(PendingAppend::streamId).toList();
  }

  @Test
  void aGroupTakesAppendsInArrivalOrderUpToItsBounds() throws Exception {
    AppendQueue queue = queue(3, 100, 60_000);
    for (String stream : List.of("a", "b", "a", "c", "d")) {
      queue.submit(append(stream, 1), null);
    }
    assertEquals(List.of("a", "b", "a"), streams(queue.nextGroup()), "at most 3 appends");
    assertEquals(List.of("c", "d"), streams(queue.nextGroup()));

    AppendQueue byChunks = queue(100, 5, 60_000);
    byChunks.submit(append("a", 3), null);
    byChunks.submit(append("b", 3), null);
    byChunks.submit(append("c", 9), null);
    assertEquals(List.of("a"), streams(byChunks.nextGroup()), "3 + 3 chunks would pass 5");
    assertEquals(List.of("b"), streams(byChunks.nextGroup()), "3 + 9 would too");
    assertEquals(List.of("c"), streams(byChunks.nextGroup()), "a larger batch goes alone");
  }

  @Test
  void aSecondAppendWithTheSameStreamAndKeyWaitsForTheNextGroup() throws Exception {
    AppendQueue queue = queue(100, 100, 60_000);
    queue.submit(append("a", 1).withKey(Optional.of("k1")), new byte[32]);
    queue.submit(append("a", 1).withKey(Optional.of("k1")), new byte[32]);
    queue.submit(append("b", 1).withKey(Optional.of("k1")), new byte[32]);
    queue.submit(append("a", 1).withKey(Optional.of("k2")), new byte[32]);
    List<PendingAppend> first = queue.nextGroup();
    assertEquals(List.of("a", "b", "a"), streams(first));
    assertEquals(Optional.of("k2"), first.get(2).key());
    List<PendingAppend> second = queue.nextGroup();
    assertEquals(List.of("a"), streams(second));
    assertEquals(Optional.of("k1"), second.get(0).key(), "the twin, once its key is stored");
  }

  @Test
  void appendsOfAHeldStreamKeepTheirPlacesWhileOthersGoOn() throws Exception {
    AppendQueue queue = queue(100, 100, 60_000);
    queue.submit(append("held", 1), null);
    queue.submit(append("free", 1), null);
    queue.submit(append("held", 1), null);
    List<PendingAppend> group = queue.nextGroup();
    List<PendingAppend> held = group.stream().filter(m -> m.streamId().equals("held")).toList();
    queue.requeueBusy(held);
    queue.submit(append("other", 1), null);
    assertEquals(2, queue.waitingForHeldStreams(group).size());

    // Backed off for a millisecond: the next group is what is free now.
    assertEquals(List.of("other"), streams(queue.nextGroup()));
    // Then the held stream's appends come back, in their order of arrival.
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(2));
    List<PendingAppend> retried = queue.nextGroup();
    assertEquals(held, retried);
    assertTrue(retried.get(0).arrival() < retried.get(1).arrival());
    assertEquals(2, metrics.value("chunk_relay_group_busy_total"));

    queue.notHeld(List.of("held"));
    assertEquals(List.of(), queue.waitingForHeldStreams(group));
  }

  @Test
  void anAppendThatWaitedTooLongIsRefusedUnwritten() throws Exception {
    AppendQueue queue = queue(100, 100, 1);
    CompletableFuture<Appended> late = queue.submit(append("a", 1), null);
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(5));
    queue.submit(append("b", 1), null);
    assertEquals(List.of("b"), streams(queue.nextGroup()));
    ExecutionException refused = assertThrows(ExecutionException.class, late::get);
    assertTrue(refused.getCause() instanceof StoreException, refused.toString());
    assertEquals(1, metrics.value("chunk_relay_appends_expired_total"));
  }

  @Test
  void aClosedQueueRefusesNewAppendsDrainsAndEnds() throws Exception {
    AppendQueue queue = queue(100, 100, 60_000);
    queue.submit(append("a", 1), null);
    queue.close();
    CompletableFuture<Appended> refused = queue.submit(append("b", 1), null);
    assertTrue(refused.isCompletedExceptionally(), "refused once closed");
    assertEquals(List.of("a"), streams(queue.nextGroup()), "what was pending still goes");
    assertNull(queue.nextGroup(), "then the committer's loop ends");

    AppendQueue stopping = queue(100, 100, 60_000);
    List<CompletableFuture<Appended>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(stopping.submit(append("s" + i, 1), null));
    }
    stopping.refuseAll();
    assertTrue(waiting.stream().allMatch(CompletableFuture::isCompletedExceptionally));
  }
}
