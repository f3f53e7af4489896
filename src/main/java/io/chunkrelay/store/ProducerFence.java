package io.chunkrelay.store;

import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.ProducerClaim;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) for idempotent producers inside a group's
 * transaction: locks the rows of the streams they write to (skipping rows another transaction
 * holds, as the group's main statement does), reads each producer's state, decides every producer
 * append in arrival order with {@link ProducerCheck} (so two appends of one producer in one group
 * see each other), and, once the chunks are in, stores the state the stored appends reached.
 * Reading, deciding and storing all happen under the stream's row lock, so two nodes' groups cannot
 * both accept the same chunk.
 */
final class ProducerFence {
  /** A producer on a stream: the key of its state. */
  record Key(String streamId, String producerId) {
    static Key of(PendingAppend member) {
      return new Key(member.streamId(), member.producer().orElseThrow().producerId());
    }
  }

  /** What the fence decided for a group; filled by {@link #decide}, saved by {@link #save}. */
  static final class Decisions {
    private final Map<PendingAppend, Integer> skipped = new IdentityHashMap<>();
    private final Map<Key, ProducerCheck.State> reached = new HashMap<>();
    private final Map<Key, Long> lastStreamSeq = new HashMap<>();
    private final Map<Key, Optional<String>> owners = new HashMap<>();
    private final Set<String> held = new HashSet<>();

    /** Chunks of the member stored before (skipped now). */
    int skipped(PendingAppend member) {
      return skipped.getOrDefault(member, 0);
    }

    /** Streams whose row another transaction holds: none of their appends may be written now. */
    Set<String> held() {
      return held;
    }

    /** The member's new chunks were stored, the last at {@code lastSeq}. */
    void stored(PendingAppend member, long lastSeq) {
      if (member.producer().isPresent()) {
        lastStreamSeq.put(Key.of(member), lastSeq);
      }
    }
  }

  private ProducerFence() {}

  /**
   * Decides every producer append the plan has not decided: a stale epoch or a hole is refused; an
   * append whose chunks were all stored before is answered as such; the rest write only the chunks
   * that are new.
   */
  static Decisions decide(Connection connection, GroupPlan plan) throws SQLException {
    List<PendingAppend> writers = plan.undecided();
    Decisions decisions = new Decisions();
    Set<String> streams = new TreeSet<>();
    for (PendingAppend member : writers) {
      if (member.producer().isPresent()) {
        streams.add(member.streamId());
      }
    }
    if (streams.isEmpty()) {
      return decisions;
    }
    Set<String> locked = lock(connection, streams);
    streams.stream().filter(s -> !locked.contains(s)).forEach(decisions.held::add);
    Map<Key, Long> lastStreamSeqs = new HashMap<>();
    Map<Key, ProducerCheck.State> states =
        read(connection, writers, locked, lastStreamSeqs, decisions.owners);
    for (PendingAppend member : writers) {
      if (member.producer().isEmpty() || !locked.contains(member.streamId())) {
        continue;
      }
      Key key = Key.of(member);
      ProducerClaim claim = member.producer().get();
      int size = member.chunks().size();
      Optional<String> owner = decisions.owners.getOrDefault(key, Optional.empty());
      if (!ProducerCheck.mayUse(owner, member.appendedBy())) {
        plan.decide(
            member,
            GroupTransaction.Outcome.refused(
                new ChunkLogException.ProducerNotOwned(member.streamId(), claim.producerId())));
        continue;
      }
      ProducerCheck.Verdict verdict = ProducerCheck.decide(states.get(key), claim, size);
      if (verdict instanceof ProducerCheck.Stale stale) {
        plan.decide(
            member,
            GroupTransaction.Outcome.refused(
                new ChunkLogException.StaleProducerEpoch(
                    member.streamId(), claim.producerId(), claim.epoch(), stale.currentEpoch())));
      } else if (verdict instanceof ProducerCheck.Gap gap) {
        plan.decide(
            member,
            GroupTransaction.Outcome.refused(
                new ChunkLogException.ProducerSeqGap(
                    member.streamId(), claim.producerId(), gap.expectedSeq(), claim.seq())));
      } else if (verdict instanceof ProducerCheck.Accept accept) {
        if (accept.skip() == size) {
          long last = claim.seq() + size - 1;
          boolean endsAtLast = last == accept.next().lastSeq();
          plan.decide(
              member,
              new GroupTransaction.Outcome(
                  Appended.allDuplicates(
                      member.streamId(),
                      member.batch(),
                      size,
                      accept.next().lastSeq(),
                      endsAtLast ? lastStreamSeqs.getOrDefault(key, 0L) : 0),
                  List.of(),
                  null,
                  false));
          continue;
        }
        if (owner.isEmpty()) {
          // The first subject to store under this Producer-Id, in this group too, owns it.
          decisions.owners.put(key, member.appendedBy());
        }
        states.put(key, accept.next());
        lastStreamSeqs.remove(key);
        decisions.reached.put(key, accept.next());
        decisions.skipped.put(member, accept.skip());
        plan.writeOnly(member, member.chunks().subList(accept.skip(), size));
      }
    }
    return decisions;
  }

  /**
   * Stores the state of every producer whose appends were stored in this transaction, in its row of
   * today (the database's UTC day, the {@code active_day} default): the day's first write carries
   * the state to a new row, so an active producer's state never sits in a partition that the key
   * TTL drops.
   */
  static void save(Connection connection, Decisions decisions, Timestamp at) throws SQLException {
    if (decisions.lastStreamSeq.isEmpty()) {
      return;
    }
    ArrayColumns rows =
        ArrayColumns.of("varchar", "varchar", "bigint", "bigint", "bigint", "varchar");
    for (Map.Entry<Key, Long> stored : decisions.lastStreamSeq.entrySet()) {
      ProducerCheck.State state = decisions.reached.get(stored.getKey());
      rows.add(
          stored.getKey().streamId(),
          stored.getKey().producerId(),
          state.epoch(),
          state.lastSeq(),
          stored.getValue(),
          decisions.owners.getOrDefault(stored.getKey(), Optional.empty()).orElse(null));
    }
    try (PreparedStatement upsert =
        connection.prepareStatement(
            "insert into producers (stream_id, producer_id, epoch, last_seq, last_stream_seq,"
                + " owner, updated_at) select s, p, e, l, q, o, ? from "
                + rows.unnest()
                + " as t(s, p, e, l, q, o)"
                + " on conflict (stream_id, producer_id, active_day) do update set"
                + " epoch = excluded.epoch,"
                + " last_seq = excluded.last_seq, last_stream_seq = excluded.last_stream_seq,"
                + " owner = coalesce(producers.owner, excluded.owner),"
                + " updated_at = excluded.updated_at")) {
      upsert.setTimestamp(1, at);
      rows.bind(connection, upsert, 2);
      upsert.executeUpdate();
    }
  }

  /** Locks the streams' rows in stream-id order, skipping held ones; returns those locked. */
  private static Set<String> lock(Connection connection, Set<String> streams) throws SQLException {
    Set<String> locked = new HashSet<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "select stream_id from streams where stream_id = any(?::varchar[])"
                + " order by stream_id for no key update skip locked")) {
      select.setArray(1, connection.createArrayOf("varchar", streams.toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          locked.add(rows.getString(1));
        }
      }
    }
    return locked;
  }

  /**
   * Reads the producers' states (each one's newest row), and into {@code lastStreamSeqs} their last
   * chunks' seqs.
   */
  private static Map<Key, ProducerCheck.State> read(
      Connection connection,
      List<PendingAppend> writers,
      Set<String> locked,
      Map<Key, Long> lastStreamSeqs,
      Map<Key, Optional<String>> owners)
      throws SQLException {
    ArrayColumns wanted = ArrayColumns.of("varchar", "varchar");
    Set<Key> asked = new HashSet<>();
    for (PendingAppend member : writers) {
      if (member.producer().isPresent()
          && locked.contains(member.streamId())
          && asked.add(Key.of(member))) {
        wanted.add(member.streamId(), member.producer().get().producerId());
      }
    }
    Map<Key, ProducerCheck.State> states = new HashMap<>();
    if (wanted.isEmpty()) {
      return states;
    }
    try (PreparedStatement select =
        connection.prepareStatement(
            "select distinct on (p.stream_id, p.producer_id) p.stream_id, p.producer_id, p.epoch,"
                + " p.last_seq, p.last_stream_seq, p.owner from producers p join "
                + wanted.unnest()
                + " as w(stream_id, producer_id) using (stream_id, producer_id)"
                + " order by p.stream_id, p.producer_id, p.active_day desc")) {
      wanted.bind(connection, select, 1);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          Key key = new Key(rows.getString(1), rows.getString(2));
          states.put(key, new ProducerCheck.State(rows.getLong(3), rows.getLong(4)));
          lastStreamSeqs.put(key, rows.getLong(5));
          owners.put(key, Optional.ofNullable(rows.getString(6)));
        }
      }
    }
    return states;
  }
}
