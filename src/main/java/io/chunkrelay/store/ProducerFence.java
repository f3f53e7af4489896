package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Keeps promise 2 for idempotent producers inside a group's transaction: locks the rows of the
 * streams they write to (skipping rows another transaction holds, as the group's main statement
 * does), reads each producer's state, decides every producer append in arrival order with {@link
 * ProducerCheck} (so two appends of one producer in one group see each other), and, once the chunks
 * are in, stores the state the stored appends reached. Reading, deciding and storing all happen
 * under the stream's row lock, so two nodes' groups cannot both accept the same chunk.
 */
final class ProducerFence {
  /** A producer on a stream: the key of its state. */
  record Key(String streamId, String producerId) {
    static Key of(PendingAppend member) {
      return new Key(member.streamId(), member.producer().producerId());
    }
  }

  /** What the fence decided for a group; filled by {@link #decide}, saved by {@link #save}. */
  static final class Decisions {
    private final Map<PendingAppend, Integer> skipped = new IdentityHashMap<>();
    private final Map<Key, ProducerCheck.State> reached = new HashMap<>();
    private final Map<Key, Long> lastStreamSeq = new HashMap<>();
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
      if (member.producer() != null) {
        lastStreamSeq.put(Key.of(member), lastSeq);
      }
    }
  }

  private ProducerFence() {}

  /**
   * Decides every producer append among {@code writers}: a stale epoch or a hole is refused in
   * {@code outcomes}; an append whose chunks were all stored before is answered there as such; for
   * the rest, {@code toWrite} gets the chunks that are new.
   */
  static Decisions decide(
      Connection connection,
      List<PendingAppend> writers,
      Map<PendingAppend, GroupTransaction.Outcome> outcomes,
      Map<PendingAppend, List<NewChunk>> toWrite)
      throws SQLException {
    Decisions decisions = new Decisions();
    Set<String> streams = new TreeSet<>();
    for (PendingAppend member : writers) {
      if (member.producer() != null) {
        streams.add(member.streamId());
      }
    }
    if (streams.isEmpty()) {
      return decisions;
    }
    Set<String> locked = lock(connection, streams);
    streams.stream().filter(s -> !locked.contains(s)).forEach(decisions.held::add);
    Map<Key, Long> lastStreamSeqs = new HashMap<>();
    Map<Key, ProducerCheck.State> states = read(connection, writers, locked, lastStreamSeqs);
    for (PendingAppend member : writers) {
      if (member.producer() == null || !locked.contains(member.streamId())) {
        continue;
      }
      Key key = Key.of(member);
      ProducerClaim claim = member.producer();
      int size = member.chunks().size();
      ProducerCheck.Verdict verdict = ProducerCheck.decide(states.get(key), claim, size);
      if (verdict instanceof ProducerCheck.Stale stale) {
        outcomes.put(
            member,
            GroupTransaction.Outcome.refused(
                new ChunkLogException.StaleProducerEpoch(
                    member.streamId(), claim.producerId(), claim.epoch(), stale.currentEpoch())));
      } else if (verdict instanceof ProducerCheck.Gap gap) {
        outcomes.put(
            member,
            GroupTransaction.Outcome.refused(
                new ChunkLogException.ProducerSeqGap(
                    member.streamId(), claim.producerId(), gap.expectedSeq(), claim.seq())));
      } else if (verdict instanceof ProducerCheck.Accept accept) {
        if (accept.skip() == size) {
          long last = claim.seq() + size - 1;
          boolean endsAtLast = last == accept.next().lastSeq();
          outcomes.put(
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
        states.put(key, accept.next());
        lastStreamSeqs.remove(key);
        decisions.reached.put(key, accept.next());
        decisions.skipped.put(member, accept.skip());
        toWrite.put(member, member.chunks().subList(accept.skip(), size));
      }
    }
    return decisions;
  }

  /** Stores the state of every producer whose appends were stored in this transaction. */
  static void save(Connection connection, Decisions decisions, Timestamp at) throws SQLException {
    if (decisions.lastStreamSeq.isEmpty()) {
      return;
    }
    int n = decisions.lastStreamSeq.size();
    String[] streams = new String[n];
    String[] producers = new String[n];
    Long[] epochs = new Long[n];
    Long[] lastSeqs = new Long[n];
    Long[] streamSeqs = new Long[n];
    int i = 0;
    for (Map.Entry<Key, Long> stored : decisions.lastStreamSeq.entrySet()) {
      ProducerCheck.State state = decisions.reached.get(stored.getKey());
      streams[i] = stored.getKey().streamId();
      producers[i] = stored.getKey().producerId();
      epochs[i] = state.epoch();
      lastSeqs[i] = state.lastSeq();
      streamSeqs[i] = stored.getValue();
      i++;
    }
    try (PreparedStatement upsert =
        connection.prepareStatement(
            "insert into producers (stream_id, producer_id, epoch, last_seq, last_stream_seq,"
                + " updated_at) select s, p, e, l, q, ? from unnest(?::varchar[], ?::varchar[],"
                + " ?::bigint[], ?::bigint[], ?::bigint[]) as t(s, p, e, l, q)"
                + " on conflict (stream_id, producer_id) do update set epoch = excluded.epoch,"
                + " last_seq = excluded.last_seq, last_stream_seq = excluded.last_stream_seq,"
                + " updated_at = excluded.updated_at")) {
      upsert.setTimestamp(1, at);
      upsert.setArray(2, connection.createArrayOf("varchar", streams));
      upsert.setArray(3, connection.createArrayOf("varchar", producers));
      upsert.setArray(4, connection.createArrayOf("bigint", epochs));
      upsert.setArray(5, connection.createArrayOf("bigint", lastSeqs));
      upsert.setArray(6, connection.createArrayOf("bigint", streamSeqs));
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

  /** Reads the producers' states, and into {@code lastStreamSeqs} their last chunks' seqs. */
  private static Map<Key, ProducerCheck.State> read(
      Connection connection,
      List<PendingAppend> writers,
      Set<String> locked,
      Map<Key, Long> lastStreamSeqs)
      throws SQLException {
    List<String> streams = new ArrayList<>();
    List<String> producers = new ArrayList<>();
    Set<Key> asked = new HashSet<>();
    for (PendingAppend member : writers) {
      if (member.producer() != null
          && locked.contains(member.streamId())
          && asked.add(Key.of(member))) {
        streams.add(member.streamId());
        producers.add(member.producer().producerId());
      }
    }
    Map<Key, ProducerCheck.State> states = new HashMap<>();
    if (streams.isEmpty()) {
      return states;
    }
    try (PreparedStatement select =
        connection.prepareStatement(
            "select p.stream_id, p.producer_id, p.epoch, p.last_seq, p.last_stream_seq"
                + " from producers p"
                + " join unnest(?::varchar[], ?::varchar[]) as w(stream_id, producer_id)"
                + " using (stream_id, producer_id)")) {
      select.setArray(1, connection.createArrayOf("varchar", streams.toArray()));
      select.setArray(2, connection.createArrayOf("varchar", producers.toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          Key key = new Key(rows.getString(1), rows.getString(2));
          states.put(key, new ProducerCheck.State(rows.getLong(3), rows.getLong(4)));
          lastStreamSeqs.put(key, rows.getLong(5));
        }
      }
    }
    return states;
  }
}
