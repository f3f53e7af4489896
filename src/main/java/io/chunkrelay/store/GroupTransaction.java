package io.chunkrelay.store;

import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.chunk.StreamStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Keeps promises 1 and 2 (ack means durable; gap-free, commit-ordered seqs) for a whole group of
 * appends with set-based statements: the keys already stored are looked up in one query; streams
 * new to the log are created in one insert; then ONE statement locks every stream's row in
 * stream-id order, moves each head by the group's chunk count for that stream ({@code UPDATE ...
 * FROM unnest(...) RETURNING}) and inserts the chunks at the seqs that follow ({@code INSERT ...
 * SELECT FROM unnest(...)} joined to the update's result), each with its provenance and its link of
 * the stream's hash chain, computed by the node from the head it knows ({@link StreamHeads}) and
 * stored only if the stream's head is still that one; the keys go in with one more insert.
 * Idempotent producers' appends are decided first, under their streams' row locks ({@link
 * ProducerFence}): only their new chunks go into that statement, and their state is stored after
 * it. Seqs are handed out per stream in the group's arrival order, so appends to one stream keep
 * their order. A group of known streams without keys or producers is that one statement and the
 * caller's COMMIT.
 *
 * <p>A row another transaction holds (a DBA's, another node's group) is skipped, not waited for
 * ({@code SKIP LOCKED}): one held row never stalls the streams grouped with it, and a group never
 * waits while it holds locks, so groups of two nodes cannot deadlock. The skipped stream's members
 * are {@link Outcome#BUSY}: not written, to be tried in a later group.
 *
 * <p>It decides, and the caller commits: {@link #write} returns each member's outcome, to be
 * answered only once the transaction committed. A member refused for a reason of its own (a
 * completed stream, a key reused with another body) is refused alone; its neighbours are written. A
 * key that a concurrent twin on another node stored meanwhile makes the whole attempt a {@link
 * Retry}: rolled back and run again, when the look-up finds it.
 */
final class GroupTransaction {
  /** The group must be rolled back and run again (a concurrent twin stored one of its keys). */
  static final class Retry extends Exception {
    private static final long serialVersionUID = 1L;

    Retry(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * A member's outcome: what to answer its producer and the chunks it stored; or that its stream's
   * row was held by another transaction, so the member was not written and waits for a later group
   * ({@link #BUSY}).
   */
  record Outcome(
      Appended appended, List<StoredChunk> stored, ChunkLogException refused, boolean busy) {
    static Outcome refused(ChunkLogException reason) {
      return new Outcome(null, List.of(), reason, false);
    }

    static final Outcome BUSY = new Outcome(null, List.of(), null, true);
  }

  private static final String MOVE_AND_INSERT =
      "with wanted as (select * from unnest(?::varchar[], ?::bigint[], ?::bigint[])"
          + " as w(stream_id, n, expected)),"
          // Only a stream whose head is still the one the node computed the links from moves.
          + " locked as materialized (select s.stream_id from streams s"
          + " join wanted using (stream_id) where s.status = 'open' and s.expired_at is null"
          + " and s.head_seq = wanted.expected"
          + " order by s.stream_id for no key update of s skip locked),"
          + " moved as (update streams s set head_seq = s.head_seq + wanted.n, updated_at = ?"
          + " from wanted, locked where s.stream_id = wanted.stream_id"
          + " and locked.stream_id = s.stream_id"
          + " returning s.stream_id, s.head_seq - wanted.n as before, s.created_day),"
          + " stored as (insert into chunks (stream_id, seq, message_id, content, final, created_at,"
          + " appended_by, producer_id, producer_epoch, producer_seq, chain, stream_day)"
          + " select c.s, m.before + c.o, c.m, c.c, c.f, ?, c.a, c.pi, c.pe, c.ps, c.h,"
          + " m.created_day from unnest(?::varchar[], ?::bigint[], ?::varchar[], ?::text[],"
          + " ?::boolean[], ?::varchar[], ?::varchar[], ?::bigint[], ?::bigint[], ?::bytea[])"
          + " as c(s, o, m, c, f, a, pi, pe, ps, h) join moved m on m.stream_id = c.s)"
          + " select stream_id, before from moved";

  /**
   * The heads of streams this node has no (current) record of: the row's head and its chunk's link,
   * read under the row's lock (skipping a row another transaction holds, as the storing statement
   * does), so the head cannot move before the statement that follows: however busy another node
   * keeps the stream, a head read is a head used. An expired or completed stream is left out (the
   * statement would not move it either).
   */
  private static final String READ_HEADS =
      "select s.stream_id, s.head_seq, case when s.head_seq = 0 then chain_genesis(s.stream_id)"
          + " else c.chain end from streams s left join chunks c on c.stream_id = s.stream_id"
          + " and c.stream_day = s.created_day and c.seq = s.head_seq"
          + " where s.stream_id = any(?::varchar[]) and s.expired_at is null"
          + " and s.status = 'open' order by s.stream_id for no key update of s skip locked";

  private GroupTransaction() {}

  /**
   * Writes the group; returns each member's outcome, by identity. The group holds at most one
   * member per stream and Idempotency-Key (a twin waits for the next group, where the look-up
   * answers it). {@code heads} (the streams this node wrote to, and so knows to exist, with their
   * heads) spares the insert of streams that exist and the read of their heads; the heads the group
   * ends at go into {@code headsAfter}, for the caller to record once it committed; a stream found
   * missing, or moved by someone else, is forgotten here.
   */
  static Map<PendingAppend, Outcome> write(
      Connection connection,
      List<PendingAppend> group,
      Instant now,
      StreamHeads heads,
      Map<String, StreamHeads.Head> headsAfter)
      throws SQLException, Retry {
    GroupPlan plan = new GroupPlan(group);
    IdempotencyKeys.replayStored(connection, plan);
    if (plan.undecided().isEmpty()) {
      return plan.outcomes();
    }
    Timestamp at = Timestamp.from(now);
    Set<String> created =
        createUnknownStreams(
            connection,
            new TreeSet<>(plan.undecided().stream().map(PendingAppend::streamId).toList()),
            heads,
            at);
    ProducerFence.Decisions producers = ProducerFence.decide(connection, plan);
    Map<String, Long> counts = plan.chunksPerStream(producers.held());
    Map<String, StreamHeads.Head> from = headsOf(connection, counts.keySet(), created, heads);
    Map<String, Long> movable = new TreeMap<>(counts);
    movable.keySet().retainAll(from.keySet());
    Map<String, StreamHeads.Head> to = new HashMap<>();
    Map<String, Long> before =
        movable.isEmpty() ? Map.of() : moveAndInsert(connection, plan, movable, from, to, at);
    for (String streamId : before.keySet()) {
      headsAfter.put(streamId, to.get(streamId));
    }
    for (String streamId : movable.keySet()) {
      if (!before.containsKey(streamId)) {
        // Completed, expired, held by another transaction, or its head moved elsewhere: its
        // head is read again next time.
        heads.forget(streamId);
      }
    }

    // Streams the statement did not move: completed, held by another transaction, or gone.
    Set<String> unmoved = new TreeSet<>(counts.keySet());
    unmoved.addAll(producers.held());
    unmoved.removeAll(before.keySet());
    Map<String, Long> completed = new HashMap<>();
    Map<String, Long> expired = new HashMap<>();
    if (!unmoved.isEmpty()) {
      notMoved(connection, unmoved, completed, expired, heads);
    }
    List<GroupPlan.Stored> stored = plan.assignSeqs(before, now);
    for (GroupPlan.Stored written : stored) {
      producers.stored(written.member(), written.last());
      plan.decide(
          written.member(),
          new Outcome(
              appended(written.member(), written.first(), written.last(), producers),
              written.chunks(),
              null,
              false));
    }
    for (PendingAppend member : plan.undecided()) {
      Long lastSeq = completed.get(member.streamId());
      Long earliestSeq = expired.get(member.streamId());
      plan.decide(
          member,
          earliestSeq != null
              ? Outcome.refused(new ChunkLogException.StreamExpired(member.streamId(), earliestSeq))
              : lastSeq != null
                  ? Outcome.refused(
                      new ChunkLogException.StreamCompleted(member.streamId(), lastSeq))
                  : Outcome.BUSY);
    }
    // A stream this transaction created for appends that were all refused (a producer's first
    // append with a hole before it) is not left behind empty: a refusal changes nothing.
    created.removeAll(before.keySet());
    dropEmpty(connection, created);
    ProducerFence.save(connection, producers, at);
    IdempotencyKeys.insert(
        connection,
        stored.stream().map(GroupPlan.Stored::member).filter(m -> m.key().isPresent()).toList(),
        plan,
        at);
    return plan.outcomes();
  }

  private static Appended appended(
      PendingAppend member, long first, long last, ProducerFence.Decisions producers) {
    if (member.producer().isEmpty()) {
      return Appended.of(member.streamId(), first, last, member.batch(), false);
    }
    return new Appended(
        member.streamId(),
        first,
        last,
        member.batch(),
        false,
        producers.skipped(member),
        member.producer().get().seq() + member.chunks().size() - 1);
  }

  /**
   * Creates, in stream-id order, the streams this node has not seen in the log yet; returns those
   * this transaction created (not those another one had).
   */
  private static Set<String> createUnknownStreams(
      Connection connection, Set<String> streams, StreamHeads heads, Timestamp at)
      throws SQLException {
    String[] unknown = streams.stream().filter(s -> !heads.knows(s)).toArray(String[]::new);
    Set<String> created = new TreeSet<>();
    if (unknown.length == 0) {
      return created;
    }
    try (PreparedStatement create =
        connection.prepareStatement(
            "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
                + " updated_at) select id, 0, 0, 'open', ?, ? from unnest(?::varchar[]) as id"
                + " order by id on conflict (stream_id) do nothing returning stream_id")) {
      create.setTimestamp(1, at);
      create.setTimestamp(2, at);
      create.setArray(3, connection.createArrayOf("varchar", unknown));
      try (ResultSet rows = create.executeQuery()) {
        while (rows.next()) {
          created.add(rows.getString(1));
        }
      }
    }
    return created;
  }

  /** Deletes streams this transaction created and wrote nothing to. */
  private static void dropEmpty(Connection connection, Set<String> created) throws SQLException {
    if (created.isEmpty()) {
      return;
    }
    try (PreparedStatement drop =
        connection.prepareStatement(
            "delete from streams where stream_id = any(?::varchar[]) and head_seq = 0")) {
      drop.setArray(1, connection.createArrayOf("varchar", created.toArray()));
      drop.executeUpdate();
    }
  }

  /**
   * The heads the group's links are computed from: a stream this transaction created is empty; one
   * this node wrote last is at the head it committed; the others are read (one statement, only when
   * there are any). A stream without a head here (gone, expired) is not moved.
   */
  private static Map<String, StreamHeads.Head> headsOf(
      Connection connection, Set<String> streams, Set<String> created, StreamHeads heads)
      throws SQLException {
    Map<String, StreamHeads.Head> from = new HashMap<>();
    List<String> unknown = new java.util.ArrayList<>();
    for (String streamId : streams) {
      StreamHeads.Head head =
          created.contains(streamId) ? StreamHeads.empty(streamId) : heads.get(streamId);
      if (head != null) {
        from.put(streamId, head);
      } else {
        unknown.add(streamId);
      }
    }
    if (unknown.isEmpty()) {
      return from;
    }
    try (PreparedStatement read = connection.prepareStatement(READ_HEADS)) {
      read.setArray(1, connection.createArrayOf("varchar", unknown.toArray()));
      try (ResultSet rows = read.executeQuery()) {
        while (rows.next()) {
          byte[] chain = rows.getBytes(3);
          if (chain != null) {
            from.put(rows.getString(1), new StreamHeads.Head(rows.getLong(2), chain));
          }
        }
      }
    }
    return from;
  }

  /**
   * The one statement: locks and moves every open stream whose head is still the one in {@code
   * from}, and inserts the chunks after it with the links computed from that head; returns each
   * moved stream's head before the group (its head in {@code from}). A chunk's place in its
   * stream's share of the group (1, 2, ... in arrival order) added to that head is its seq. The
   * heads the streams end at go into {@code to}.
   */
  private static Map<String, Long> moveAndInsert(
      Connection connection,
      GroupPlan plan,
      Map<String, Long> counts,
      Map<String, StreamHeads.Head> from,
      Map<String, StreamHeads.Head> to,
      Timestamp at)
      throws SQLException {
    ArrayColumns wanted = ArrayColumns.of("varchar", "bigint", "bigint");
    counts.forEach((streamId, n) -> wanted.add(streamId, n, from.get(streamId).seq()));
    ArrayColumns chunks = plan.chunkRows(counts, from, to);
    Map<String, Long> before = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(MOVE_AND_INSERT)) {
      int next = wanted.bind(connection, statement, 1);
      statement.setTimestamp(next++, at);
      statement.setTimestamp(next++, at);
      chunks.bind(connection, statement, next);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          before.put(rows.getString(1), rows.getLong(2));
        }
      }
    }
    return before;
  }

  /**
   * Sorts the streams the statement did not move: completed (their last seq goes to {@code
   * completed}; completed is final, so no lock is needed to read it), expired (the earliest seq the
   * log could hold for them goes to {@code expired}; expired is final too), open with their row
   * held by another transaction (left out: busy), or gone from the log although this node had seen
   * them (forgotten, so the next attempt creates them; busy meanwhile).
   */
  private static void notMoved(
      Connection connection,
      Set<String> unmoved,
      Map<String, Long> completed,
      Map<String, Long> expired,
      StreamHeads heads)
      throws SQLException {
    String[] ids = unmoved.toArray(String[]::new);
    Set<String> found = new java.util.HashSet<>();
    try (PreparedStatement select =
        connection.prepareStatement(
            "select stream_id, status, head_seq, expired_at is not null from streams"
                + " where stream_id = any(?::varchar[])")) {
      select.setArray(1, connection.createArrayOf("varchar", ids));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          found.add(rows.getString(1));
          if (rows.getBoolean(4)) {
            expired.put(rows.getString(1), rows.getLong(3) + 1);
          } else if (StreamStatus.fromWireName(rows.getString(2)) == StreamStatus.COMPLETED) {
            completed.put(rows.getString(1), rows.getLong(3));
          }
        }
      }
    }
    for (String id : ids) {
      if (!found.contains(id)) {
        heads.forget(id);
      }
    }
  }
}
