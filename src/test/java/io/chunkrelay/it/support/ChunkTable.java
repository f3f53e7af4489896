package io.chunkrelay.it.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/** Reads the chunk log straight from PostgreSQL, as a DBA would, to check what the API stored. */
public final class ChunkTable {
  private ChunkTable() {}

  /** A chunk row as stored. */
  public record Row(long seq, String messageId, String content, boolean isFinal) {}

  public static List<Row> chunks(String streamId) {
    return query(
        "select seq, message_id, content, final from chunks where stream_id = ? order by seq",
        streamId);
  }

  /**
   * Checks, as a DBA would, that the stream's seqs run 1..head_seq without holes; returns its rows'
   * seqs by content.
   */
  public static Map<String, Long> gapFreeSeqsByContent(String streamId) {
    List<Row> rows = chunks(streamId);
    List<Long> seqs = rows.stream().map(Row::seq).toList();
    if (!seqs.equals(LongStream.rangeClosed(1, rows.size()).boxed().toList())
        || head(streamId) != rows.size()) {
      throw new AssertionError(
          streamId + ": seqs " + seqs + " are not 1..head_seq (" + head(streamId) + ")");
    }
    return rows.stream().collect(Collectors.toMap(Row::content, Row::seq));
  }

  public static long count(String table, String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement statement =
            connection.prepareStatement("select count(*) from " + table + " where stream_id = ?")) {
      statement.setString(1, streamId);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A chunk's provenance as a DBA reads it: who appended it, as which producer session and number,
   * how long before "now" (database clock) the database stored it, and when first published.
   */
  public record Provenance(
      long seq,
      String appendedBy,
      String producerId,
      Long producerEpoch,
      Long producerSeq,
      double storedSecondsAgo,
      boolean published) {}

  /** Each chunk's provenance, in seq order. */
  public static List<Provenance> provenance(String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement statement =
            connection.prepareStatement(
                "select c.seq, c.appended_by, c.producer_id, c.producer_epoch, c.producer_seq,"
                    + " extract(epoch from now() - c.stored_at),"
                    + " (select p.published_at from publications p where p.stream_id = c.stream_id"
                    + " and p.last_seq >= c.seq order by p.last_seq limit 1) is not null"
                    + " from chunks c where c.stream_id = ? order by c.seq")) {
      statement.setString(1, streamId);
      List<Provenance> rows = new ArrayList<>();
      try (ResultSet row = statement.executeQuery()) {
        while (row.next()) {
          rows.add(
              new Provenance(
                  row.getLong(1),
                  row.getString(2),
                  row.getString(3),
                  (Long) row.getObject(4),
                  (Long) row.getObject(5),
                  row.getDouble(6),
                  row.getBoolean(7)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Each chunk's appended_by, in seq order, as a DBA's audit query reads it. */
  public static List<String> authors(String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement statement =
            connection.prepareStatement(
                "select appended_by from chunks where stream_id = ? order by seq")) {
      statement.setString(1, streamId);
      List<String> authors = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          authors.add(rows.getString(1));
        }
      }
      return authors;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The stream's head_seq, or -1 when the stream has no row. */
  /** The stream's outbox watermark: the last seq noted as published (0 for no such stream). */
  public static long publishedSeq(String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement select =
            connection.prepareStatement("select published_seq from streams where stream_id = ?")) {
      select.setString(1, streamId);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? row.getLong(1) : 0;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long head(String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement statement =
            connection.prepareStatement("select head_seq from streams where stream_id = ?")) {
      statement.setString(1, streamId);
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next() ? rows.getLong(1) : -1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs DDL or DML in this run's schema (fault triggers, locks held by the test). */
  public static void execute(String sql) {
    try (Connection connection = TestServices.database().connect()) {
      connection.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e, e);
    }
  }

  private static List<Row> query(String sql, String streamId) {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, streamId);
      List<Row> rows = new ArrayList<>();
      try (ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          rows.add(
              new Row(
                  result.getLong(1),
                  result.getString(2),
                  result.getString(3),
                  result.getBoolean(4)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
