package io.chunkrelay.store;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.chunk.ProducerClaim;
import io.chunkrelay.chunk.StoredChunk;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One group's appends as its transaction works through them. Each member starts undecided, with all
 * its chunks to write. Steps of the transaction decide members (a stored key's replay, a producer's
 * refusal or pure resend, a completed stream, a held row) or narrow what they write (an idempotent
 * producer's new chunks only); what is still undecided when the heads have moved gets its seqs in
 * arrival order, stream by stream ({@link #assignSeqs}). Members are told apart by identity: two
 * equal requests are two appends.
 *
 * <p>Confined to the committer's thread, like the transaction.
 */
final class GroupPlan {
  private final List<PendingAppend> members;
  private final Map<PendingAppend, GroupTransaction.Outcome> outcomes = new IdentityHashMap<>();
  private final Map<PendingAppend, List<NewChunk>> toWrite = new IdentityHashMap<>();

  GroupPlan(List<PendingAppend> members) {
    this.members = List.copyOf(members);
  }

  /** The members not decided yet, in arrival order. */
  List<PendingAppend> undecided() {
    return members.stream().filter(member -> !outcomes.containsKey(member)).toList();
  }

  /** Settles {@code member}'s answer; it writes nothing more in this transaction. */
  void decide(PendingAppend member, GroupTransaction.Outcome outcome) {
    outcomes.put(member, outcome);
  }

  /** The answer settled for {@code member}. */
  GroupTransaction.Outcome outcome(PendingAppend member) {
    return outcomes.get(member);
  }

  /** Every member's answer, once the plan is done. */
  Map<PendingAppend, GroupTransaction.Outcome> outcomes() {
    return outcomes;
  }

  /** {@code member} writes only {@code chunks} (an idempotent producer's new ones). */
  void writeOnly(PendingAppend member, List<NewChunk> chunks) {
    toWrite.put(member, chunks);
  }

  /** The chunks {@code member} writes. */
  List<NewChunk> chunksOf(PendingAppend member) {
    return toWrite.getOrDefault(member, member.chunks());
  }

  /** How many chunks the undecided members write to each stream but the {@code held} ones. */
  Map<String, Long> chunksPerStream(Set<String> held) {
    Map<String, Long> counts = new TreeMap<>();
    for (PendingAppend member : undecided()) {
      if (!held.contains(member.streamId())) {
        counts.merge(member.streamId(), (long) chunksOf(member).size(), Long::sum);
      }
    }
    return counts;
  }

  /**
   * The chunks to insert into the streams of {@code counts}, as rows of stream, place in the
   * stream's share of the group (1, 2, ... in arrival order), message id, content, final, and
   * provenance: the subject ({@link AppendRequest#ANONYMOUS} without authentication) and, for an
   * idempotent producer's append, its id, epoch and each chunk's own number in the session; and its
   * hash chain link, computed from the stream's head in {@code from} as if the chunks follow it.
   * The heads the chunks end at go into {@code to}.
   */
  ArrayColumns chunkRows(
      Map<String, Long> counts,
      Map<String, StreamHeads.Head> from,
      Map<String, StreamHeads.Head> to) {
    ArrayColumns rows =
        ArrayColumns.of(
            "varchar", "bigint", "varchar", "text", "boolean", "varchar", "varchar", "bigint",
            "bigint", "bytea");
    Map<String, Long> place = new HashMap<>();
    to.putAll(from);
    for (PendingAppend member : undecided()) {
      if (!counts.containsKey(member.streamId())) {
        continue;
      }
      List<NewChunk> written = chunksOf(member);
      Optional<ProducerClaim> producer = member.producer();
      // A resend's chunks already stored were left out from the front: the first written chunk's
      // number is the request's plus how many were skipped.
      long producerSeq =
          producer.map(p -> p.seq() + member.chunks().size() - written.size()).orElse(0L);
      for (NewChunk chunk : written) {
        long at = place.merge(member.streamId(), 1L, Long::sum);
        StreamHeads.Head head = to.get(member.streamId());
        byte[] link =
            StreamHeads.link(
                head.chain(), head.seq() + 1, chunk.messageId(), chunk.isFinal(), chunk.content());
        to.put(member.streamId(), new StreamHeads.Head(head.seq() + 1, link));
        rows.add(
            member.streamId(),
            at,
            chunk.messageId(),
            chunk.content(),
            chunk.isFinal(),
            member.appendedBy().orElse(AppendRequest.ANONYMOUS),
            producer.map(ProducerClaim::producerId).orElse(null),
            producer.map(ProducerClaim::epoch).orElse(null),
            producer.isPresent() ? producerSeq++ : null,
            link);
      }
    }
    return rows;
  }

  /**
   * Gives each undecided member of a moved stream its seqs: after the stream's head {@code before}
   * the group, in arrival order, as {@link #chunkRows} placed them. Returns the members stored.
   */
  List<Stored> assignSeqs(Map<String, Long> before, Instant now) {
    Map<String, Long> nextSeq = new HashMap<>();
    List<Stored> stored = new ArrayList<>();
    for (PendingAppend member : undecided()) {
      Long head = before.get(member.streamId());
      if (head == null) {
        continue;
      }
      long first = nextSeq.getOrDefault(member.streamId(), head + 1);
      List<StoredChunk> chunks = new ArrayList<>();
      long seq = first;
      for (NewChunk chunk : chunksOf(member)) {
        chunks.add(
            new StoredChunk(seq++, chunk.messageId(), chunk.content(), chunk.isFinal(), now));
      }
      nextSeq.put(member.streamId(), seq);
      stored.add(new Stored(member, first, seq - 1, chunks));
    }
    return stored;
  }

  /** A member whose chunks were written at seqs {@code first..last}. */
  record Stored(PendingAppend member, long first, long last, List<StoredChunk> chunks) {}
}
