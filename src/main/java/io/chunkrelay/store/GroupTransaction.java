package io.chunkrelay.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Keeps promises 1 and 2 for a whole group of appends in ONE transaction of set-based statements:
 * the keys already stored are looked up in one query; streams new to the log are created in one
 * insert; every stream's row is locked in stream-id order and moved by its group's chunk count in
 * one {@code UPDATE ... FROM unnest(...) RETURNING} (a row another transaction holds is skipped,
 * and its members wait for a later group); the chunks go in with one {@code INSERT ... SELECT FROM
 * unnest(...)}, the keys likewise. Seqs are handed out per stream in the group's arrival order, so
 * appends to one stream keep their order.
 *
 * <p>It decides, and the caller commits: {@link #write} returns each member's outcome, to be
 * answered only once {@link Connection#commit()} returned. A member refused for a reason of its own
 * (a completed stream, a key reused with another body) is refused alone; its neighbours are
 * written. A key that a concurrent twin on another node stored meanwhile makes the whole attempt a
 * {@link Retry}: rolled back and run again, when the look-up finds it.
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
   * row was locked by another transaction, so the member was not written and waits for a later
   * group ({@link #busy}).
   */
  record Outcome(
      Appended appended, List<StoredChunk> stored, ChunkLogException refused, boolean busy) {
    static Outcome refused(ChunkLogException reason) {
      return new Outcome(null, List.of(), reason, false);
    }

    static final Outcome BUSY = new Outcome(null, List.of(), null, true);
  }

  private GroupTransaction() {}

  /**
   * Writes the group inside the connection's open transaction; returns each member's outcome, by
   * identity. The group holds at most one member per stream and Idempotency-Key (a twin waits for
   * the next group, where the look-up answers it).
   */
  static Map<PendingAppend, Outcome> write(
      Connection connection, List<PendingAppend> group, Instant now) throws SQLException, Retry {
    Map<PendingAppend, Outcome> outcomes = new IdentityHashMap<>();
    replayStoredKeys(connection, group, outcomes);
    List<PendingAppend> writers = new ArrayList<>(group);
    writers.removeIf(outcomes::containsKey);

    Timestamp at = Timestamp.from(now);
    Reservation reservation = reserve(connection, writers, at);
    Map<String, Long> nextSeq = new HashMap<>();
    List<PendingAppend> stored = new ArrayList<>();
    for (PendingAppend member : writers) {
      if (reservation.busy().contains(member.streamId())) {
        outcomes.put(member, Outcome.BUSY);
        continue;
      }
      Long completedAt = reservation.completed().get(member.streamId());
      if (completedAt != null) {
        outcomes.put(
            member,
            Outcome.refused(new ChunkLogException.StreamCompleted(member.streamId(), completedAt)));
        continue;
      }
      long first =
          nextSeq.computeIfAbsent(member.streamId(), s -> reservation.headsBefore().get(s) + 1);
      List<StoredChunk> chunks = new ArrayList<>(member.chunks().size());
      long seq = first;
      for (NewChunk chunk : member.chunks()) {
        chunks.add(
            new StoredChunk(seq++, chunk.messageId(), chunk.content(), chunk.isFinal(), now));
      }
      nextSeq.put(member.streamId(), seq);
      stored.add(member);
      outcomes.put(
          member,
          new Outcome(
              new Appended(member.streamId(), first, seq - 1, member.batch(), false),
              chunks,
              null,
              false));
    }
    insertChunks(connection, stored, outcomes, at);
    insertKeys(connection, stored.stream().filter(m -> m.key() != null).toList(), outcomes, at);
    return outcomes;
  }

  /**
   * What {@link #reserve} found: each moved stream's head before the group, the last seq of each
   * completed one, and the open ones whose row another transaction holds.
   */
  private record Reservation(
      Map<String, Long> headsBefore, Map<String, Long> completed, Set<String> busy) {}

  /** Answers members whose key is already stored: the original seqs, or a reused-key refusal. */
  private static void replayStoredKeys(
      Connection connection, List<PendingAppend> group, Map<PendingAppend, Outcome> outcomes)
      throws SQLException {
    List<PendingAppend> keyed = group.stream().filter(m -> m.key() != null).toList();
    if (keyed.isEmpty()) {
      return;
    }
    try (PreparedStatement select =
        connection.prepareStatement(
            "select k.stream_id, k.idempotency_key, k.request_sha256, k.first_seq, k.last_seq,"
                + " k.batch from idempotency_keys k"
                + " join unnest(?::varchar[], ?::varchar[]) as w(stream_id, idempotency_key)"
                + " using (stream_id, idempotency_key)")) {
      select.setArray(1, varchars(connection, keyed.stream().map(PendingAppend::streamId)));
      select.setArray(2, varchars(connection, keyed.stream().map(PendingAppend::key)));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String streamId = rows.getString(1);
          String key = rows.getString(2);
          for (PendingAppend member : keyed) {
            if (member.streamId().equals(streamId) && member.key().equals(key)) {
              outcomes.put(
                  member,
                  Arrays.equals(rows.getBytes(3), member.fingerprint())
                      ? new Outcome(
                          new Appended(
                              streamId, rows.getLong(4), rows.getLong(5), rows.getBoolean(6), true),
                          List.of(),
                          null,
                          false)
                      : Outcome.refused(new ChunkLogException.IdempotencyKeyReused(streamId, key)));
            }
          }
        }
      }
    }
  }

  /**
   * Creates the streams new to the log (in stream-id order), then locks every open stream's row in
   * stream-id order and moves its head by the group's count, in one statement. A row another
   * transaction holds (a DBA's, another node's group) is skipped, not waited for: one stream's lock
   * never stalls the streams grouped with it, and a group never waits while holding locks, so
   * groups of two nodes cannot deadlock.
   */
  private static Reservation reserve(
      Connection connection, List<PendingAppend> writers, Timestamp at) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    for (PendingAppend member : writers) {
      counts.merge(member.streamId(), (long) member.chunks().size(), Long::sum);
    }
    Map<String, Long> heads = new HashMap<>();
    if (counts.isEmpty()) {
      return new Reservation(heads, Map.of(), Set.of());
    }
    String[] ids = counts.keySet().toArray(String[]::new);
    try (PreparedStatement create =
        connection.prepareStatement(
            "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
                + " updated_at) select id, 0, 0, 'open', ?, ? from unnest(?::varchar[]) as id"
                + " order by id on conflict (stream_id) do nothing")) {
      create.setTimestamp(1, at);
      create.setTimestamp(2, at);
      create.setArray(3, connection.createArrayOf("varchar", ids));
      create.executeUpdate();
    }
    try (PreparedStatement update =
        connection.prepareStatement(
            "with wanted as (select * from unnest(?::varchar[], ?::bigint[]) as w(stream_id, n)),"
                + " locked as materialized (select s.stream_id from streams s"
                + " join wanted using (stream_id) where s.status = 'open'"
                + " order by s.stream_id for no key update of s skip locked)"
                + " update streams s set head_seq = s.head_seq + wanted.n, updated_at = ?"
                + " from wanted, locked where s.stream_id = wanted.stream_id"
                + " and locked.stream_id = s.stream_id"
                + " returning s.stream_id, s.head_seq - wanted.n")) {
      update.setArray(1, connection.createArrayOf("varchar", ids));
      update.setArray(2, connection.createArrayOf("bigint", counts.values().toArray(Long[]::new)));
      update.setTimestamp(3, at);
      try (ResultSet rows = update.executeQuery()) {
        while (rows.next()) {
          heads.put(rows.getString(1), rows.getLong(2));
        }
      }
    }
    if (heads.size() == counts.size()) {
      return new Reservation(heads, Map.of(), Set.of());
    }
    // The streams the update did not move exist (created above or before): completed, or open
    // with their row held by another transaction. Completed is final, so no lock is needed.
    String[] notMoved =
        counts.keySet().stream().filter(id -> !heads.containsKey(id)).toArray(String[]::new);
    Map<String, Long> completed = new HashMap<>();
    Set<String> busy = new HashSet<>(Arrays.asList(notMoved));
    try (PreparedStatement select =
        connection.prepareStatement(
            "select stream_id, head_seq from streams where stream_id = any(?::varchar[])"
                + " and status = 'completed'")) {
      select.setArray(1, connection.createArrayOf("varchar", notMoved));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          completed.put(rows.getString(1), rows.getLong(2));
          busy.remove(rows.getString(1));
        }
      }
    }
    return new Reservation(heads, completed, busy);
  }

  private static void insertChunks(
      Connection connection,
      List<PendingAppend> stored,
      Map<PendingAppend, Outcome> outcomes,
      Timestamp at)
      throws SQLException {
    List<String> streams = new ArrayList<>();
    List<Long> seqs = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    List<String> contents = new ArrayList<>();
    List<Boolean> finals = new ArrayList<>();
    for (PendingAppend member : stored) {
      for (StoredChunk chunk : outcomes.get(member).stored()) {
        streams.add(member.streamId());
        seqs.add(chunk.seq());
        messages.add(chunk.messageId());
        contents.add(chunk.content());
        finals.add(chunk.isFinal());
      }
    }
    if (streams.isEmpty()) {
      return;
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "insert into chunks (stream_id, seq, message_id, content, final, created_at)"
                + " select s, q, m, c, f, ? from unnest(?::varchar[], ?::bigint[], ?::varchar[],"
                + " ?::text[], ?::boolean[]) as t(s, q, m, c, f)")) {
      insert.setTimestamp(1, at);
      insert.setArray(2, connection.createArrayOf("varchar", streams.toArray()));
      insert.setArray(3, connection.createArrayOf("bigint", seqs.toArray()));
      insert.setArray(4, connection.createArrayOf("varchar", messages.toArray()));
      insert.setArray(5, connection.createArrayOf("text", contents.toArray()));
      insert.setArray(6, connection.createArrayOf("boolean", finals.toArray()));
      insert.executeUpdate();
    }
  }

  private static void insertKeys(
      Connection connection,
      List<PendingAppend> keyed,
      Map<PendingAppend, Outcome> outcomes,
      Timestamp at)
      throws SQLException, Retry {
    if (keyed.isEmpty()) {
      return;
    }
    int n = keyed.size();
    String[] streams = new String[n];
    String[] keys = new String[n];
    byte[][] hashes = new byte[n][];
    Long[] firsts = new Long[n];
    Long[] lasts = new Long[n];
    Boolean[] batches = new Boolean[n];
    for (int i = 0; i < n; i++) {
      PendingAppend member = keyed.get(i);
      Appended appended = outcomes.get(member).appended();
      streams[i] = member.streamId();
      keys[i] = member.key();
      hashes[i] = member.fingerprint();
      firsts[i] = appended.firstSeq();
      lasts[i] = appended.lastSeq();
      batches[i] = member.batch();
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "insert into idempotency_keys (stream_id, idempotency_key, request_sha256, first_seq,"
                + " last_seq, batch, created_at) select s, k, h, f, l, b, ? from unnest(?::varchar[],"
                + " ?::varchar[], ?::bytea[], ?::bigint[], ?::bigint[], ?::boolean[])"
                + " as t(s, k, h, f, l, b) on conflict do nothing")) {
      insert.setTimestamp(1, at);
      insert.setArray(2, connection.createArrayOf("varchar", streams));
      insert.setArray(3, connection.createArrayOf("varchar", keys));
      insert.setArray(4, connection.createArrayOf("bytea", hashes));
      insert.setArray(5, connection.createArrayOf("bigint", firsts));
      insert.setArray(6, connection.createArrayOf("bigint", lasts));
      insert.setArray(7, connection.createArrayOf("boolean", batches));
      int inserted = insert.executeUpdate();
      if (inserted < n) {
        throw new Retry((n - inserted) + " idempotency keys were stored meanwhile by a twin");
      }
    }
  }

  private static Array varchars(Connection connection, java.util.stream.Stream<String> values)
      throws SQLException {
    return connection.createArrayOf("varchar", values.toArray(String[]::new));
  }
}
