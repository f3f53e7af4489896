package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Keeps promise 1 for retried requests inside a group's transaction: the {@code idempotency_keys}
 * of an append made with an Idempotency-Key. Members whose key is stored are answered from it (the
 * original seqs, or a refusal when the key came with another body) before anything is written; the
 * keys of the members written are stored in the same transaction, and one a concurrent twin on
 * another node stored first makes the group run again, when the look-up answers it.
 */
final class IdempotencyKeys {
  private IdempotencyKeys() {}

  /** Answers members whose key is already stored: the original seqs, or a reused-key refusal. */
  static void replayStored(
      Connection connection,
      List<PendingAppend> group,
      Map<PendingAppend, GroupTransaction.Outcome> outcomes)
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
      select.setArray(
          1,
          connection.createArrayOf(
              "varchar", keyed.stream().map(PendingAppend::streamId).toArray()));
      select.setArray(
          2, connection.createArrayOf("varchar", keyed.stream().map(PendingAppend::key).toArray()));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String streamId = rows.getString(1);
          String key = rows.getString(2);
          for (PendingAppend member : keyed) {
            if (member.streamId().equals(streamId) && member.key().equals(key)) {
              outcomes.put(
                  member,
                  Arrays.equals(rows.getBytes(3), member.fingerprint())
                      ? new GroupTransaction.Outcome(
                          Appended.of(
                              streamId, rows.getLong(4), rows.getLong(5), rows.getBoolean(6), true),
                          List.of(),
                          null,
                          false)
                      : GroupTransaction.Outcome.refused(
                          new ChunkLogException.IdempotencyKeyReused(streamId, key)));
            }
          }
        }
      }
    }
  }

  /**
   * Stores the keys of the members written; a key a twin stored meanwhile makes the whole group a
   * {@link GroupTransaction.Retry}.
   */
  static void insert(
      Connection connection,
      List<PendingAppend> keyed,
      Map<PendingAppend, GroupTransaction.Outcome> outcomes,
      Timestamp at)
      throws SQLException, GroupTransaction.Retry {
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
        throw new GroupTransaction.Retry(
            (n - inserted) + " idempotency keys were stored meanwhile by a twin");
      }
    }
  }
}
