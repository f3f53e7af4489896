package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the "publishing never is impossible" of promise 7 (Redis accelerates, PostgreSQL decides)
 * on the table side: the {@code published_seq} watermark of {@code streams}, which streams are
 * behind it, and the advisory lock that elects the one node that relays. Callers hold plain values;
 * the SQL stays here.
 */
public final class Outbox {
  /**
   * The advisory lock's first key: "chnk" as a number any DBA can look up in {@code pg_locks}
   * ({@code classid}); the second ({@code objid}) is the oid of this deployment's {@code streams}
   * table, so deployments in different schemas of one database never share the lock.
   */
  static final int RELAY_LOCK_CLASS = 0x6368_6e6b;

  private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

  private final DataSource dataSource;
  private volatile boolean maySummarize = true;

  private Outbox(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The outbox columns of the tables in {@code database}. */
  public static Outbox over(Database database) {
    return new Outbox(database.dataSource());
  }

  /** A stream with committed chunks after {@code publishedSeq} that may not have been published. */
  public record Unpublished(String streamId, long publishedSeq, Instant updatedAt) {}

  /** Seqs {@code firstSeq..lastSeq} of a stream were published. */
  public record Published(String streamId, long firstSeq, long lastSeq) {}

  /**
   * Up to {@code limit} streams appended to since {@code since} whose head is beyond their
   * watermark, least recently changed first. Found from the chunks appended since then (a BRIN
   * range scan), so it costs what those chunks cost, however many streams exist.
   *
   * <p>That holds only while the BRIN index summarises the table's newest pages (a page range
   * nobody summarised matches every query) and the planner picks the index. Neither is left to
   * chance: the index summarises as it fills ({@code autosummarize}, when autovacuum runs), this
   * method summarises what is new itself before it looks, and the query is planned without a
   * sequential scan, so a table without statistics (a fresh restore, autovacuum off) does not turn
   * each look into a scan of every chunk.
   */
  public List<Unpublished> unpublishedSince(Instant since, int limit) {
    return unpublished(
        // Materialized, so the plan always starts from the recent chunks (BRIN), never from a scan
        // of every stream.
        "with recent as materialized (select distinct stream_id from chunks where created_at >= ?)"
            + " select s.stream_id, s.published_seq, s.updated_at from recent"
            + " join streams s using (stream_id) where s.published_seq < s.head_seq"
            + " and s.expired_at is null"
            + " order by s.updated_at limit ?",
        Timestamp.from(since),
        limit);
  }

  /**
   * Up to {@code limit} streams, of all, whose head is beyond their watermark, least recently
   * changed first: a scan of the whole table, for the relay's occasional sweep.
   */
  public List<Unpublished> unpublished(int limit) {
    return unpublished(
        "select stream_id, published_seq, updated_at from streams"
            + " where published_seq < head_seq and expired_at is null order by updated_at limit ?",
        null,
        limit);
  }

  private List<Unpublished> unpublished(String sql, Timestamp since, int limit) {
    List<Unpublished> streams = new ArrayList<>();
    try (Connection connection = dataSource.getConnection()) {
      if (since != null) {
        summarizeNewChunks(connection);
      }
      connection.setAutoCommit(false);
      try (Statement plan = connection.createStatement()) {
        if (since != null) {
          // The recent chunks are few and the BRIN index finds them; without statistics the
          // planner would guess a third of the table and scan it all.
          plan.execute("set local enable_seqscan = off");
          plan.execute("set local max_parallel_workers_per_gather = 0");
          // The same wrong guess would also JIT-compile the query: 11-15 ms for 0.3 ms of work.
          plan.execute("set local jit = off");
        }
      }
      try (PreparedStatement select = connection.prepareStatement(sql)) {
        int parameter = 1;
        if (since != null) {
          select.setTimestamp(parameter++, since);
        }
        select.setInt(parameter, limit);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            streams.add(
                new Unpublished(
                    rows.getString(1), rows.getLong(2), rows.getTimestamp(3).toInstant()));
          }
        }
      }
      connection.commit();
      return streams;
    } catch (SQLException e) {
      throw new StoreException("listing unpublished streams failed", e);
    }
  }

  /**
   * Summarises the chunk pages the BRIN index does not cover yet (cheap when there are none). Only
   * the index's owner may, so the node calls {@code summarize_new_chunks()}, which runs as the
   * owner; a role not granted it is told once, and the look-up then relies on autovacuum's
   * summaries.
   */
  private void summarizeNewChunks(Connection connection) throws SQLException {
    if (!maySummarize) {
      return;
    }
    try (Statement summarize = connection.createStatement()) {
      // As the index's owner, through the function the owner granted the node's role.
      summarize.execute("select summarize_new_chunks()");
    } catch (SQLException e) {
      // 42501: not granted to this role; 42883: a schema without the function.
      if (!"42501".equals(e.getSQLState()) && !"42883".equals(e.getSQLState())) {
        throw e;
      }
      maySummarize = false;
      LOG.warn(
          "this role may not summarise the BRIN index chunks_created_at ({}); the outbox relay's"
              + " look-up for recent chunks relies on autovacuum to summarise new pages",
          e.getMessage());
    }
  }

  /**
   * Moves each stream's watermark to the end of its published range, one conditional UPDATE a
   * stream in one batch, and records each move in {@code publications} (which chunks, and when, by
   * the database's clock) in the same statement. The condition only ever extends a contiguous
   * prefix: a range whose start the watermark has not reached yet is not recorded (the relay
   * publishes it again, harmlessly).
   *
   * @return how many streams' watermarks moved
   */
  public int advance(Collection<Published> ranges) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update =
            connection.prepareStatement(
                "with moved as (update streams s set published_seq = ? from streams w"
                    + " where s.stream_id = ? and w.stream_id = s.stream_id"
                    + " and s.published_seq >= ? and s.published_seq < ? and s.head_seq >= ?"
                    + " returning s.stream_id, w.published_seq as before, s.created_day)"
                    + " insert into publications (stream_id, first_seq, last_seq, stream_day)"
                    + " select stream_id, before + 1, ?, created_day from moved")) {
      for (Published range : ranges) {
        update.setLong(1, range.lastSeq());
        update.setString(2, range.streamId());
        update.setLong(3, range.firstSeq() - 1);
        update.setLong(4, range.lastSeq());
        update.setLong(5, range.lastSeq());
        update.setLong(6, range.lastSeq());
        update.addBatch();
      }
      int moved = 0;
      for (int count : update.executeBatch()) {
        moved += Math.max(count, 0);
      }
      return moved;
    } catch (SQLException e) {
      throw new StoreException(
          "advancing published_seq of " + ranges.size() + " streams failed", e);
    }
  }

  /** The relay's lock, not yet taken. */
  public RelayLock relayLock() {
    return new RelayLock(dataSource, RELAY_LOCK_CLASS);
  }
}
