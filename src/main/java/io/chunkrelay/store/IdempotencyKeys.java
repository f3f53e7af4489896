package io.chunkrelay.store;

import io.chunkrelay.chunk.Appended;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;

/**
 * Keeps promise 1 (ack means durable) for retried requests inside a group's transaction: the {@code
 * idempotency_keys} of an append made with an Idempotency-Key. Members whose key is stored are
 * answered from it (the original seqs, or a refusal when the key came with another body) before
 * anything is written; the keys of the members written are stored in the same transaction, and one
 * a concurrent twin on another node stored first makes the group run again, when the look-up
 * answers it.
 */
final class IdempotencyKeys {
  private IdempotencyKeys() {}

  /** Answers members whose key is already stored: the original seqs, or a reused-key refusal. */
  static void replayStored(Connection connection, GroupPlan plan) throws SQLException {
    List<PendingAppend> keyed = plan.undecided().stream().filter(m -> m.key().isPresent()).toList();
    if (keyed.isEmpty()) {
      return;
    }
    ArrayColumns wanted = ArrayColumns.of("varchar", "varchar");
    keyed.forEach(member -> wanted.add(member.streamId(), member.key().get()));
    try (PreparedStatement select =
        connection.prepareStatement(
            "select k.stream_id, k.idempotency_key, k.request_sha256, k.first_seq, k.last_seq,"
                + " k.batch from idempotency_keys k join "
                + wanted.unnest()
                + " as w(stream_id, idempotency_key) using (stream_id, idempotency_key)")) {
      wanted.bind(connection, select, 1);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          String streamId = rows.getString(1);
          String key = rows.getString(2);
          for (PendingAppend member : keyed) {
            if (member.streamId().equals(streamId) && member.key().get().equals(key)) {
              plan.decide(
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
  static void insert(Connection connection, List<PendingAppend> keyed, GroupPlan plan, Timestamp at)
      throws SQLException, GroupTransaction.Retry {
    if (keyed.isEmpty()) {
      return;
    }
    int n = keyed.size();
    ArrayColumns rows =
        ArrayColumns.of("varchar", "varchar", "bytea", "bigint", "bigint", "boolean");
    for (PendingAppend member : keyed) {
      Appended appended = plan.outcome(member).appended();
      rows.add(
          member.streamId(),
          member.key().get(),
          member.fingerprint(),
          appended.firstSeq(),
          appended.lastSeq(),
          member.batch());
    }
    try (PreparedStatement insert =
        connection.prepareStatement(
            "insert into idempotency_keys (stream_id, idempotency_key, request_sha256, first_seq,"
                + " last_seq, batch, created_at) select s, k, h, f, l, b, ? from "
                + rows.unnest()
                + " as t(s, k, h, f, l, b)"
                // The primary key catches a twin of the same day (it includes the partition's
                // day); one stored on another day committed before this transaction took the
                // stream's row lock, so this statement sees it.
                + " where not exists (select from idempotency_keys x where x.stream_id = t.s"
                + " and x.idempotency_key = t.k) on conflict do nothing")) {
      insert.setTimestamp(1, at);
      rows.bind(connection, insert, 2);
      int inserted = insert.executeUpdate();
      if (inserted < n) {
        throw new GroupTransaction.Retry(
            (n - inserted) + " idempotency keys were stored meanwhile by a twin");
      }
    }
  }
}
