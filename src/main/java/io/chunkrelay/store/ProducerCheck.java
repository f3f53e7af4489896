package io.chunkrelay.store;

import io.chunkrelay.chunk.ProducerClaim;
import java.util.Optional;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) for producers that resend: the rule that decides
 * what of an idempotent producer's append is new, with no I/O (the caller holds the stream's row
 * lock, so the state it read is the state). Per stream and producer the log keeps the session
 * ({@code epoch}) and the number of the last chunk stored in it:
 *
 * <ul>
 *   <li>an epoch below the stored one is a fenced-off zombie: {@link Stale}, nothing stored;
 *   <li>an epoch above it opens a new session, whose numbering starts again at 0;
 *   <li>within the session, the next chunk must be {@code last + 1}: an append starting beyond it
 *       left a hole ({@link Gap}, with the number expected); chunks at or below {@code last} were
 *       stored before and are skipped; the rest are new ({@link Accept}).
 * </ul>
 */
final class ProducerCheck {
  private ProducerCheck() {}

  /**
   * A producer's place in a stream's log.
   *
   * @param lastSeq the number of the last chunk stored in this epoch, -1 before the first
   */
  record State(long epoch, long lastSeq) {
    /** The state of a producer the stream has not seen: any epoch opens its first session. */
    static State fresh(long epoch) {
      return new State(epoch, -1);
    }
  }

  /** What to do with an append. */
  sealed interface Verdict permits Accept, Stale, Gap {}

  /**
   * Store all but the first {@code skip} chunks (already stored); the producer is then at {@code
   * next}. {@code skip} equal to the append's size means nothing is new.
   */
  record Accept(int skip, State next) implements Verdict {}

  /** The append's epoch is older than {@code currentEpoch}: another session took over. */
  record Stale(long currentEpoch) implements Verdict {}

  /** The append starts past {@code expectedSeq}: chunks in between never arrived. */
  record Gap(long expectedSeq) implements Verdict {}

  /**
   * Whether {@code subject} may write under a Producer-Id that {@code owner} first used on the
   * stream: a Producer-Id belongs to its first subject. An empty owner is one nobody has claimed
   * yet; an empty subject is a node without authentication, where nobody is named.
   */
  static boolean mayUse(Optional<String> owner, Optional<String> subject) {
    return owner.isEmpty() || subject.isEmpty() || owner.equals(subject);
  }

  /**
   * Decides an append of {@code chunks} (at least one) claiming {@code claim}, against the stored
   * state ({@code null}: the stream has not seen this producer).
   */
  static Verdict decide(State stored, ProducerClaim claim, int chunks) {
    if (chunks < 1) {
      throw new IllegalArgumentException("an append has at least one chunk");
    }
    State now = stored == null ? State.fresh(claim.epoch()) : stored;
    if (claim.epoch() < now.epoch()) {
      return new Stale(now.epoch());
    }
    if (claim.epoch() > now.epoch()) {
      now = State.fresh(claim.epoch());
    }
    long expected = now.lastSeq() + 1;
    if (claim.seq() > expected) {
      return new Gap(expected);
    }
    long known = expected - claim.seq();
    if (known >= chunks) {
      return new Accept(chunks, now);
    }
    return new Accept((int) known, new State(now.epoch(), claim.seq() + chunks - 1));
  }
}
