package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Keeps promises 1 and 2 in one transaction.
 *
 * <p>The append transaction in plain JDBC, the hottest path of the product: one {@code UPDATE ...
 * RETURNING} both locks the stream's row and reserves the seqs, one batched {@code INSERT} stores
 * the chunks, then the commit. The entities Hibernate maps and validates describe the same tables;
 * this path only skips the ORM's per-statement overhead.
 *
 * <p>Idempotency without an extra lock: the key is looked up first (a stored outcome never
 * changes); a racing twin that got past that look-up fails on the key's primary key ({@code 23505})
 * after the winner committed, rolls back everything it wrote, and returns the winner's outcome.
 */
final class AppendTransaction {
  private static final String UNIQUE_VIOLATION = "23505";

  private final DataSource dataSource;

  AppendTransaction(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The committed outcome and, unless replayed, the stored chunks. */
  record Result(Appended appended, List<StoredChunk> stored) {}

  Result run(
      String streamId,
      List<NewChunk> chunks,
      boolean batch,
      Optional<String> key,
      byte[] fingerprint,
      Instant now)
      throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      if (key.isPresent()) {
        Optional<Result> earlier = replay(connection, streamId, key.get(), fingerprint);
        if (earlier.isPresent()) {
          return earlier.get();
        }
      }
      connection.setAutoCommit(false);
      try {
        long lastSeq = reserve(connection, streamId, chunks.size(), now);
        long firstSeq = lastSeq - chunks.size() + 1;
        List<StoredChunk> stored = insertChunks(connection, streamId, chunks, firstSeq, now);
        if (key.isPresent()) {
          try {
            insertKey(connection, streamId, key.get(), fingerprint, firstSeq, lastSeq, batch, now);
          } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
              throw e;
            }
            // A twin of this request committed first: undo ours, answer with theirs.
            connection.rollback();
            connection.setAutoCommit(true);
            return replay(connection, streamId, key.get(), fingerprint)
                .orElseThrow(() -> new SQLException("idempotency key vanished", e));
          }
        }
        connection.commit();
        return new Result(new Appended(streamId, firstSeq, lastSeq, batch, false), stored);
      } catch (SQLException | RuntimeException e) {
        rollback(connection, e);
        throw e;
      }
    }
  }

  /**
   * Rolls back after {@code failure}. On a broken connection the rollback fails too; that failure
   * must not hide the original one, whose SQLState says what happened (08xxx: connection lost).
   */
  private static void rollback(Connection connection, Exception failure) {
    try {
      connection.rollback();
    } catch (SQLException rollbackFailed) {
      failure.addSuppressed(rollbackFailed);
    }
  }

  /** Locks the stream's row, moves its head by {@code count}; returns the new head. */
  private static long reserve(Connection connection, String streamId, int count, Instant now)
      throws SQLException {
    for (int attempt = 0; attempt < 3; attempt++) {
      try (PreparedStatement update =
          connection.prepareStatement(
              "update streams set head_seq = head_seq + ?, updated_at = ?"
                  + " where stream_id = ? and status = 'open' returning head_seq")) {
        update.setLong(1, count);
        update.setTimestamp(2, Timestamp.from(now));
        update.setString(3, streamId);
        try (ResultSet row = update.executeQuery()) {
          if (row.next()) {
            return row.getLong(1);
          }
        }
      }
      try (PreparedStatement existing =
          connection.prepareStatement(
              "select head_seq, status from streams where stream_id = ? for no key update")) {
        existing.setString(1, streamId);
        try (ResultSet row = existing.executeQuery()) {
          if (row.next()) {
            if (StreamStatus.fromWireName(row.getString(2)) == StreamStatus.COMPLETED) {
              throw new ChunkLogException.StreamCompleted(streamId, row.getLong(1));
            }
            // Created by a concurrent first append after our UPDATE looked: update it now.
            continue;
          }
        }
      }
      // Two first appends may race: ON CONFLICT lets exactly one insert win; both then update it.
      try (PreparedStatement create =
          connection.prepareStatement(
              "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
                  + " updated_at) values (?, 0, 0, 'open', ?, ?) on conflict (stream_id) do nothing")) {
        create.setString(1, streamId);
        create.setTimestamp(2, Timestamp.from(now));
        create.setTimestamp(3, Timestamp.from(now));
        create.executeUpdate();
      }
    }
    throw new SQLException("stream " + streamId + " could neither be created nor updated");
  }

  private static List<StoredChunk> insertChunks(
      Connection connection, String streamId, List<NewChunk> chunks, long firstSeq, Instant now)
      throws SQLException {
    List<StoredChunk> stored = new ArrayList<>(chunks.size());
    try (PreparedStatement insert =
        connection.prepareStatement(
            "insert into chunks (stream_id, seq, message_id, content, final, created_at)"
                + " values (?, ?, ?, ?, ?, ?)")) {
      Timestamp createdAt = Timestamp.from(now);
      long seq = firstSeq;
      for (NewChunk chunk : chunks) {
        insert.setString(1, streamId);
        insert.setLong(2, seq);
        insert.setString(3, chunk.messageId());
        insert.setString(4, chunk.content());
        insert.setBoolean(5, chunk.isFinal());
        insert.setTimestamp(6, createdAt);
        insert.addBatch();
        stored.add(
            new StoredChunk(seq++, chunk.messageId(), chunk.content(), chunk.isFinal(), now));
      }
      insert.executeBatch();
    }
    return stored;
  }

  private static void insertKey(
      Connection connection,
      String streamId,
      String key,
      byte[] fingerprint,
      long firstSeq,
      long lastSeq,
      boolean batch,
      Instant now)
      throws SQLException {
    try (PreparedStatement insert =
        connection.prepareStatement(
            "insert into idempotency_keys (stream_id, idempotency_key, request_sha256, first_seq,"
                + " last_seq, batch, created_at) values (?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, streamId);
      insert.setString(2, key);
      insert.setBytes(3, fingerprint);
      insert.setLong(4, firstSeq);
      insert.setLong(5, lastSeq);
      insert.setBoolean(6, batch);
      insert.setTimestamp(7, Timestamp.from(now));
      insert.executeUpdate();
    }
  }

  private static Optional<Result> replay(
      Connection connection, String streamId, String key, byte[] fingerprint) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "select request_sha256, first_seq, last_seq, batch from idempotency_keys"
                + " where stream_id = ? and idempotency_key = ?")) {
      select.setString(1, streamId);
      select.setString(2, key);
      try (ResultSet row = select.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        if (!Arrays.equals(row.getBytes(1), fingerprint)) {
          throw new ChunkLogException.IdempotencyKeyReused(streamId, key);
        }
        return Optional.of(
            new Result(
                new Appended(streamId, row.getLong(2), row.getLong(3), row.getBoolean(4), true),
                List.of()));
      }
    }
  }
}
