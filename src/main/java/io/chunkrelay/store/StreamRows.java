package io.chunkrelay.store;

import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.chunk.StreamStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;

/**
 * Keeps a completed stream completed: reads a {@code streams} row into a {@link StreamInfo} (the
 * one place that mapping is written) and completes a stream under its row lock, in plain JDBC.
 */
final class StreamRows {
  /**
   * The row's columns and its head's hash chain link (the stream's genesis before its first chunk),
   * hex: one primary-key probe of {@code chunks}.
   */
  private static final String COLUMNS =
      "s.stream_id, s.head_seq, s.status, s.created_at, s.updated_at, s.completed_at,"
          + " encode(coalesce((select c.chain from chunks c where c.stream_id = s.stream_id"
          + " and c.stream_day = s.created_day and c.seq = s.head_seq),"
          + " chain_genesis(s.stream_id)), 'hex'), s.created_day, s.expired_at";

  private StreamRows() {}

  /**
   * The stream's row as of now, if it exists.
   *
   * @throws ChunkLogException.StreamExpired if retention dropped its chunks
   */
  static Optional<StreamInfo> read(Connection connection, String streamId) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement(
            "select " + COLUMNS + " from streams s where s.stream_id = ?")) {
      select.setString(1, streamId);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? Optional.of(info(row)) : Optional.empty();
      }
    }
  }

  /**
   * Completes an open stream in one statement that takes its row lock, so it waits for an append in
   * progress and the head it returns is final. A completed stream is left as it is (completed is
   * final, so reading it needs no lock); an expired one answers {@link
   * ChunkLogException.StreamExpired}.
   */
  static Optional<StreamInfo> complete(Connection connection, String streamId, Instant now)
      throws SQLException {
    try (PreparedStatement update =
        connection.prepareStatement(
            "update streams s set status = 'completed', completed_at = ?, updated_at = ?"
                + " where s.stream_id = ? and s.status = 'open' and s.expired_at is null returning "
                + COLUMNS)) {
      Timestamp at = Timestamp.from(now);
      update.setTimestamp(1, at);
      update.setTimestamp(2, at);
      update.setString(3, streamId);
      try (ResultSet row = update.executeQuery()) {
        if (row.next()) {
          return Optional.of(info(row));
        }
      }
    }
    return read(connection, streamId);
  }

  private static StreamInfo info(ResultSet row) throws SQLException {
    if (row.getTimestamp(9) != null) {
      // Its chunks left with retention: a definite answer, never an empty stream (promise 10).
      throw new ChunkLogException.StreamExpired(row.getString(1), row.getLong(2) + 1);
    }
    Timestamp completedAt = row.getTimestamp(6);
    return new StreamInfo(
        row.getString(1),
        row.getLong(2),
        StreamStatus.fromWireName(row.getString(3)),
        row.getTimestamp(4).toInstant(),
        row.getTimestamp(5).toInstant(),
        completedAt == null ? null : completedAt.toInstant(),
        row.getString(7),
        row.getObject(8, LocalDate.class));
  }
}
