package io.chunkrelay.store;

import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.chunk.StreamStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * Keeps a completed stream completed: reads a {@code streams} row into a {@link StreamInfo} (the
 * one place that mapping is written) and completes a stream under its row lock, in plain JDBC.
 */
final class StreamRows {
  private static final String COLUMNS =
      "stream_id, head_seq, status, created_at, updated_at, completed_at";

  private StreamRows() {}

  /** The stream's row as of now, if it exists. */
  static Optional<StreamInfo> read(Connection connection, String streamId) throws SQLException {
    try (PreparedStatement select =
        connection.prepareStatement("select " + COLUMNS + " from streams where stream_id = ?")) {
      select.setString(1, streamId);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? Optional.of(info(row)) : Optional.empty();
      }
    }
  }

  /**
   * Completes an open stream in one statement that takes its row lock, so it waits for an append in
   * progress and the head it returns is final. A completed stream is left as it is (completed is
   * final, so reading it needs no lock).
   */
  static Optional<StreamInfo> complete(Connection connection, String streamId, Instant now)
      throws SQLException {
    try (PreparedStatement update =
        connection.prepareStatement(
            "update streams set status = 'completed', completed_at = ?, updated_at = ?"
                + " where stream_id = ? and status = 'open' returning "
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
    Timestamp completedAt = row.getTimestamp(6);
    return new StreamInfo(
        row.getString(1),
        row.getLong(2),
        StreamStatus.fromWireName(row.getString(3)),
        row.getTimestamp(4).toInstant(),
        row.getTimestamp(5).toInstant(),
        completedAt == null ? null : completedAt.toInstant());
  }
}
