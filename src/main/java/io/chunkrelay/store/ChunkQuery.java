package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Keeps a read a gap-free prefix: the read backfills and the HTTP listing make, in plain JDBC, the
 * stream's row, then its chunks after a seq up to the head read first. Two statements without a
 * shared snapshot are still consistent, because every chunk up to a head that was read had
 * committed before that head did.
 */
final class ChunkQuery {
  private final DataSource dataSource;

  ChunkQuery(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  ChunkPage chunksAfter(String streamId, long after, int limit) throws SQLException {
    return chunksAfter(streamId, after, limit, Long.MAX_VALUE);
  }

  /**
   * Like {@link #chunksAfter(String, long, int)}, stopping before the chunk whose content would
   * take the page past {@code maxBytes} (the first chunk always comes). The budget is kept by
   * PostgreSQL (a running sum over the chunks in seq order), so the chunks beyond it never leave
   * the database.
   */
  ChunkPage chunksAfter(String streamId, long after, int limit, long maxBytes) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      StreamInfo stream =
          StreamRows.read(connection, streamId)
              .orElseThrow(() -> new ChunkLogException.StreamNotFound(streamId));
      List<StoredChunk> chunks = new ArrayList<>();
      if (after < stream.headSeq()) {
        try (PreparedStatement select =
            connection.prepareStatement(
                maxBytes == Long.MAX_VALUE
                    ? "select seq, message_id, content, final, created_at from chunks"
                        + " where stream_id = ? and seq > ? and seq <= ? order by seq limit ?"
                    : "select seq, message_id, content, final, created_at from (select seq,"
                        + " message_id, content, final, created_at, sum(octet_length(content))"
                        + " over (order by seq) - octet_length(content) as before from chunks"
                        + " where stream_id = ? and seq > ? and seq <= ? order by seq limit ?) c"
                        + " where before = 0 or before + octet_length(content) <= ?"
                        + " order by seq")) {
          select.setString(1, streamId);
          select.setLong(2, after);
          select.setLong(3, stream.headSeq());
          select.setInt(4, limit);
          if (maxBytes != Long.MAX_VALUE) {
            select.setLong(5, maxBytes);
          }
          try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
              chunks.add(
                  new StoredChunk(
                      rows.getLong(1),
                      rows.getString(2),
                      rows.getString(3),
                      rows.getBoolean(4),
                      rows.getTimestamp(5).toInstant()));
            }
          }
        }
      }
      return new ChunkPage(stream, chunks);
    }
  }
}
