package io.chunkrelay.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves {@code streams.published_seq} forward for ranges this node published, in batches: publishes
 * are noted in memory and written every flush, one conditional UPDATE a stream, so the watermark
 * costs no write on the append path. The condition only ever extends a contiguous prefix: a range
 * whose start the watermark has not reached yet (another node's publish still unconfirmed) is not
 * recorded, and the relay publishes it again later, which is harmless.
 */
public final class Watermarks {
  private static final Logger LOG = LoggerFactory.getLogger(Watermarks.class);

  private final DataSource dataSource;
  private final Object lock = new Object();
  private Map<String, long[]> pending = new HashMap<>();

  public Watermarks(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Notes that seqs {@code firstSeq..lastSeq} of the stream were published. */
  public void published(String streamId, long firstSeq, long lastSeq) {
    synchronized (lock) {
      long[] range = pending.get(streamId);
      if (range == null) {
        pending.put(streamId, new long[] {firstSeq, lastSeq});
      } else if (firstSeq <= range[1] + 1 && lastSeq >= range[0] - 1) {
        range[0] = Math.min(range[0], firstSeq);
        range[1] = Math.max(range[1], lastSeq);
      } else if (firstSeq < range[0]) {
        // Keep the earlier, disjoint range: it is the one the watermark can reach first.
        pending.put(streamId, new long[] {firstSeq, lastSeq});
      }
    }
  }

  /** Writes the noted ranges; returns how many streams' watermarks moved. */
  public int flush() {
    Map<String, long[]> ranges;
    synchronized (lock) {
      if (pending.isEmpty()) {
        return 0;
      }
      ranges = pending;
      pending = new HashMap<>();
    }
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update =
            connection.prepareStatement(
                "update streams set published_seq = ? where stream_id = ?"
                    + " and published_seq >= ? and published_seq < ? and head_seq >= ?")) {
      for (Map.Entry<String, long[]> range : ranges.entrySet()) {
        long first = range.getValue()[0];
        long last = range.getValue()[1];
        update.setLong(1, last);
        update.setString(2, range.getKey());
        update.setLong(3, first - 1);
        update.setLong(4, last);
        update.setLong(5, last);
        update.addBatch();
      }
      int moved = 0;
      for (int count : update.executeBatch()) {
        moved += Math.max(count, 0);
      }
      return moved;
    } catch (SQLException e) {
      // Not advancing the watermark only means the relay publishes these ranges once more.
      LOG.warn("could not advance published_seq of {} streams: {}", ranges.size(), e.toString());
      return 0;
    }
  }
}
