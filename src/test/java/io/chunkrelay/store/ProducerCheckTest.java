package io.chunkrelay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.chunkrelay.chunk.ProducerClaim;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The idempotent producer's rule without a database: resends of any window of a producer's lines,
 * in any order, leave the log holding each line once, in order, without a hole; a stale epoch is
 * fenced off; a new epoch starts its numbering at 0.
 */
class ProducerCheckTest {
  private static final ProducerClaim FIRST = new ProducerClaim("p", 0, 0);

  @Property(tries = 500)
  void anyScheduleOfResendsStoresEachLineOnceInOrder(
      @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 40) Integer> starts,
      @ForAll @Size(min = 60, max = 60) List<@IntRange(min = 1, max = 6) Integer> sizes) {
    List<Long> log = new ArrayList<>();
    ProducerCheck.State state = null;
    for (int i = 0; i < starts.size(); i++) {
      long start = starts.get(i);
      int size = sizes.get(i);
      ProducerCheck.Verdict verdict =
          ProducerCheck.decide(state, new ProducerClaim("p", 0, start), size);
      if (start > log.size()) {
        ProducerCheck.Gap gap = assertInstanceOf(ProducerCheck.Gap.class, verdict);
        assertEquals(log.size(), gap.expectedSeq(), "the gap names the next line the log lacks");
        continue;
      }
      ProducerCheck.Accept accept = assertInstanceOf(ProducerCheck.Accept.class, verdict);
      for (long line = start + accept.skip(); line < start + size; line++) {
        log.add(line);
      }
      state = accept.next();
      assertEquals(log.size() - 1, state.lastSeq());
    }
    for (int i = 0; i < log.size(); i++) {
      assertEquals(i, log.get(i), "line " + i + " is stored once, in its place");
    }
  }

  @Test
  void aProducerTheStreamHasNotSeenStartsAtZero() {
    assertEquals(
        new ProducerCheck.Accept(0, new ProducerCheck.State(0, 2)),
        ProducerCheck.decide(null, FIRST, 3));
    assertEquals(
        new ProducerCheck.Gap(0), ProducerCheck.decide(null, new ProducerClaim("p", 0, 1), 1));
  }

  @Test
  void anOlderEpochIsStaleAndANewerOneStartsAgainAtZero() {
    ProducerCheck.State atEpochTwo = new ProducerCheck.State(2, 7);
    assertEquals(
        new ProducerCheck.Stale(2),
        ProducerCheck.decide(atEpochTwo, new ProducerClaim("p", 1, 8), 1));
    assertEquals(
        new ProducerCheck.Accept(0, new ProducerCheck.State(3, 0)),
        ProducerCheck.decide(atEpochTwo, new ProducerClaim("p", 3, 0), 1));
    assertEquals(
        new ProducerCheck.Gap(0),
        ProducerCheck.decide(atEpochTwo, new ProducerClaim("p", 3, 8), 1));
  }

  @Test
  void aResendOfStoredLinesOnlyIsAllDuplicatesAndLeavesTheStateAlone() {
    ProducerCheck.State state = new ProducerCheck.State(0, 9);
    assertEquals(
        new ProducerCheck.Accept(3, state),
        ProducerCheck.decide(state, new ProducerClaim("p", 0, 4), 3));
  }

  @Test
  void aProducerIdBelongsToItsFirstSubject() {
    java.util.Optional<String> alice = java.util.Optional.of("alice");
    java.util.Optional<String> nobody = java.util.Optional.empty();
    assertEquals(
        true, ProducerCheck.mayUse(nobody, alice), "unclaimed: the first subject takes it");
    assertEquals(true, ProducerCheck.mayUse(alice, alice));
    assertEquals(false, ProducerCheck.mayUse(alice, java.util.Optional.of("mallory")));
    assertEquals(true, ProducerCheck.mayUse(alice, nobody), "a node without authentication");
  }
}
