package io.chunkrelay.store;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.chunk.StreamInfo;
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
 * committed before that head did, and a stream's chunks leave only all together, with retention,
 * after its row says it expired: a read that finds none below the head re-reads the row, so the
 * reader hears {@link ChunkLogException.StreamExpired}, never a silent hole (promise 10).
 */
final class ChunkQuery {
  /** A page's content budget that is no budget. */
  static final long UNBOUNDED_BYTES = Long.MAX_VALUE;

  private static final String PAGE =
      "select seq, message_id, content, final, created_at from chunks"
          + " where stream_id = ? and seq > ? and seq <= ? and stream_day = ? order by seq limit ?";

  /** {@link #PAGE}, then only the chunks that start within the budget (the first always does). */
  private static final String PAGE_WITHIN_BYTES =
      "select seq, message_id, content, final, created_at from (select seq, message_id, content,"
          + " final, created_at, sum(octet_length(content)) over (order by seq)"
          + " - octet_length(content) as before from chunks"
          + " where stream_id = ? and seq > ? and seq <= ? and stream_day = ? order by seq limit ?) c"
          + " where before = 0 or before + octet_length(content) <= ? order by seq";

  private final DataSource dataSource;

  ChunkQuery(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Up to {@code limit} chunks after {@code after}, stopping before the chunk whose content would
   * take the page past {@code maxBytes} (the first chunk always comes; {@link #UNBOUNDED_BYTES} for
   * no budget, as delivery reads). The budget is kept by PostgreSQL (a running sum over the chunks
   * in seq order), so the chunks beyond it never leave the database.
   */
  ChunkPage chunksAfter(String streamId, long after, int limit, long maxBytes) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      StreamInfo stream =
          StreamRows.read(connection, streamId)
              .orElseThrow(() -> new ChunkLogException.StreamNotFound(streamId));
      List<StoredChunk> chunks = new ArrayList<>();
      if (after < stream.headSeq()) {
        try (PreparedStatement select =
            connection.prepareStatement(maxBytes == UNBOUNDED_BYTES ? PAGE : PAGE_WITHIN_BYTES)) {
          select.setString(1, streamId);
          select.setLong(2, after);
          select.setLong(3, stream.headSeq());
          // The stream's own day: the one partition its chunks are in.
          select.setObject(4, stream.createdDay());
          select.setInt(5, limit);
          if (maxBytes != UNBOUNDED_BYTES) {
            select.setLong(6, maxBytes);
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
      if (chunks.isEmpty() && after < stream.headSeq()) {
        // Chunks up to the head read first had all committed, so none missing means retention
        // dropped the stream's day in between: re-reading its row says so (StreamExpired).
        StreamRows.read(connection, streamId);
        throw new StoreException(
            "stream '" + streamId + "' has no chunk after seq " + after + " below its head",
            new SQLException("chunks missing below the head", "XX001"));
      }
      return new ChunkPage(stream, chunks);
    }
  }
}
