package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.store.Schema;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The DBA's tampering list, tried against a migrated schema as the tables' owner (where the
 * triggers are the guard) and as the nodes' runtime role (where the grants refuse first, and the
 * triggers guard what the role may write): every attempt fails with the SQLSTATE of its rule and
 * leaves the log as it was. docs/DBA.md lists the rules.
 */
class LogProtectionIT {
  private static TestServices.Database deployment;

  /** One tampering, and the SQLSTATE it gets as the owner and as the runtime role. */
  private record Tampering(String what, String sql, String asOwner, String asRuntime) {}

  private static final List<Tampering> TAMPERING =
      List.of(
          new Tampering(
              "alter a chunk's content",
              "update chunks set content = 'altered' where stream_id = 'open-1' and seq = 2",
              "CR001",
              "42501"),
          new Tampering(
              "alter who appended a chunk",
              "update chunks set appended_by = 'mallory' where stream_id = 'open-1'",
              "CR001",
              "42501"),
          new Tampering(
              "delete a chunk",
              "delete from chunks where stream_id = 'open-1' and seq = 2",
              "CR001",
              "42501"),
          new Tampering(
              "lower head and watermark together",
              "update streams set head_seq = 1, published_seq = 1 where stream_id = 'open-1'",
              "CR003",
              "CR003"),
          new Tampering(
              "raise a head over no chunks",
              "update streams set head_seq = 9 where stream_id = 'open-1'",
              "CR005",
              "CR005"),
          new Tampering(
              "raise two heads in one statement over the chunks of one",
              "with moved as (update streams set head_seq = head_seq + 1"
                  + " where stream_id in ('open-1', 'empty-1') returning stream_id, head_seq)"
                  + " insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " select stream_id, head_seq, 'm', 'x', false, now(), 'mallory', sha256('x')"
                  + " from moved where stream_id = 'open-1'",
              "CR005",
              "CR005"),
          new Tampering(
              "insert a chunk beyond the head",
              "insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " values ('open-1', 99, 'm', 'x', false, now(), 'mallory', sha256('x'))",
              "CR005",
              "CR005"),
          new Tampering(
              "insert the next chunk without moving the head",
              "insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " values ('open-1', 4, 'm', 'x', false, now(), 'mallory', sha256('x'))",
              "CR005",
              "CR005"),
          new Tampering(
              "file a chunk under a stream the log does not hold",
              "insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " values ('ghost', 1, 'm', 'x', false, now(), 'mallory', sha256('x'))",
              "23503",
              "23503"),
          new Tampering(
              "file a chunk under another day than its stream's",
              "insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain, stream_day)"
                  + " values ('open-1', 4, 'm', 'x', false, now(), 'mallory', sha256('x'),"
                  + " (statement_timestamp() at time zone 'UTC')::date + 1)",
              "23503",
              "23503"),
          new Tampering(
              "lower the watermark alone",
              "update streams set published_seq = 1 where stream_id = 'open-1'",
              "CR003",
              "CR003"),
          new Tampering(
              "create a stream at a head with no chunks",
              "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
                  + " updated_at) values ('forged', 5, 0, 'open', now(), now())",
              "CR005",
              "CR005"),
          new Tampering(
              "delete a stream with its chunks",
              "delete from streams where stream_id = 'open-1'",
              "CR006",
              "CR006"),
          new Tampering(
              "delete an empty stream made earlier",
              "delete from streams where stream_id = 'empty-1'",
              "CR006",
              "CR006"),
          new Tampering(
              "reopen a completed stream",
              "update streams set status = 'open', completed_at = null where stream_id = 'done-1'",
              "CR004",
              "CR004"),
          new Tampering(
              "append to a completed stream",
              "with moved as (update streams set head_seq = head_seq + 1"
                  + " where stream_id = 'done-1' returning head_seq)"
                  + " insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " select 'done-1', head_seq, 'm', 'x', false, now(), 'mallory', sha256('x') from moved",
              "CR004",
              "CR004"),
          new Tampering(
              "backdate a stream",
              "update streams set created_at = created_at - interval '1 year'",
              "CR007",
              "42501"),
          new Tampering("truncate the chunks", "truncate chunks", "CR002", "42501"),
          new Tampering(
              "carry a producer's state back on a new day's row",
              "insert into producers (stream_id, producer_id, epoch, last_seq, last_stream_seq,"
                  + " owner, updated_at, active_day) values ('open-1', 'p', 1, 0, 1, 'alice',"
                  + " now(), (statement_timestamp() at time zone 'UTC')::date + 1)",
              "CR003",
              "CR003"),
          new Tampering(
              "truncate today's partition of the chunks",
              "do $$ begin execute format('truncate %I', 'chunks_p'"
                  + " || to_char(statement_timestamp() at time zone 'UTC', 'YYYYMMDD')); end $$",
              "CR002",
              "42501"),
          new Tampering(
              "insert a chunk beyond the head straight into today's partition",
              "do $$ begin execute format('insert into %I (stream_id, seq, message_id, content,"
                  + " final, created_at, appended_by, chain, stream_day) values (''open-1'', 99,"
                  + " ''m'', ''x'', false, now(), ''mallory'', sha256(''x''),"
                  + " (statement_timestamp() at time zone ''UTC'')::date)', 'chunks_p'"
                  + " || to_char(statement_timestamp() at time zone 'UTC', 'YYYYMMDD')); end $$",
              "CR005",
              "42501"),
          new Tampering(
              "drop today's partition of the chunks",
              "do $$ begin execute format('drop table %I', 'chunks_p'"
                  + " || to_char(statement_timestamp() at time zone 'UTC', 'YYYYMMDD')); end $$",
              null,
              "42501"),
          new Tampering(
              "truncate everything",
                  "truncate streams, chunks, idempotency_keys, producers, publications, legal_holds",
              "CR002", "42501"),
          new Tampering("truncate streams cascade", "truncate streams cascade", "CR002", "42501"),
          new Tampering(
              "forget an idempotency key", "delete from idempotency_keys", "CR001", "42501"),
          new Tampering(
              "rewrite an idempotency key",
              "update idempotency_keys set last_seq = 1",
              "CR001",
              "42501"),
          new Tampering("forget a producer", "delete from producers", "CR001", "42501"),
          new Tampering(
              "roll a producer's epoch back",
              "update producers set epoch = 0, last_seq = 0",
              "CR003",
              "CR003"),
          new Tampering(
              "hand a producer to another subject",
              "update producers set owner = 'mallory'",
              "CR007",
              "CR007"),
          new Tampering(
              "disable the triggers", "alter table chunks disable trigger user", null, "42501"));

  @BeforeAll
  static void aLogWithOpenCompletedAndEmptyStreams() throws SQLException {
    deployment =
        TestServices.database()
            .otherSchema("protect_" + Integer.toString(new SecureRandom().nextInt(1 << 20), 36));
    Schema.migrate(deployment.owner());
    try (Connection owner = deployment.connectAs(LocalServices.OWNER_ROLE);
        Statement statement = owner.createStatement()) {
      statement.execute(
          "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
              + " updated_at) values ('open-1', 0, 0, 'open', now(), now()),"
              + " ('done-1', 0, 0, 'open', now(), now()), ('empty-1', 0, 0, 'open', now(), now())");
      // As the node stores chunks: the head moves over them in the same statement.
      statement.execute(
          "with moved as (update streams set head_seq = head_seq + 3"
              + " where stream_id in ('open-1', 'done-1') returning stream_id)"
              + " insert into chunks (stream_id, seq, message_id, content, final, created_at,"
              + " appended_by, chain)"
              + " select stream_id, seq, 'm', 'chunk ' || seq, false, now(), 'alice',"
              + " chain_of(chain_genesis(stream_id), seq, 'm', false, 'chunk ' || seq)"
              + " over (partition by stream_id order by seq)"
              + " from moved, generate_series(1, 3) as seq");
      statement.execute("update streams set published_seq = 2 where stream_id = 'open-1'");
      statement.execute(
          "update streams set status = 'completed', completed_at = now()"
              + " where stream_id = 'done-1'");
      statement.execute(
          "insert into idempotency_keys (stream_id, idempotency_key, request_sha256, first_seq,"
              + " last_seq, batch, created_at) values ('open-1', 'k', '\\x00', 1, 3, true, now())");
      statement.execute(
          "insert into producers (stream_id, producer_id, epoch, last_seq, last_stream_seq,"
              + " owner, updated_at) values ('open-1', 'p', 2, 2, 3, 'alice', now())");
    }
  }

  @AfterAll
  static void dropped() {
    deployment.dropSchema();
  }

  @Test
  void asTheOwnerEveryTamperingMeetsATrigger() throws SQLException {
    String before = snapshot();
    try (Connection owner = deployment.connectAs(LocalServices.OWNER_ROLE)) {
      assertAll(
          TAMPERING.stream()
              .filter(t -> t.asOwner() != null)
              .map(t -> refused(owner, t.what(), t.sql(), t.asOwner())));
    }
    assertEquals(before, snapshot(), "a refused tampering changes nothing");
  }

  @Test
  void asTheRuntimeRoleEveryTamperingIsRefused() throws SQLException {
    String before = snapshot();
    try (Connection runtime = deployment.connectAs(LocalServices.RUNTIME_ROLE)) {
      assertAll(TAMPERING.stream().map(t -> refused(runtime, t.what(), t.sql(), t.asRuntime())));
    }
    assertEquals(before, snapshot(), "a refused tampering changes nothing");
  }

  /**
   * Retention creates and drops the chunks' partitions under an exclusive lock while nodes move
   * watermarks; a watermark's move that looked at the chunks would wait for that lock (and, with
   * the outbox's statement writing publications first, deadlock with retention).
   */
  @Test
  void movingAWatermarkNeverWaitsForTheChunks() throws SQLException {
    try (Connection owner = deployment.connectAs(LocalServices.OWNER_ROLE);
        Connection runtime = deployment.connectAs(LocalServices.RUNTIME_ROLE);
        Statement locking = owner.createStatement();
        Statement moving = runtime.createStatement()) {
      owner.setAutoCommit(false);
      runtime.setAutoCommit(false);
      locking.execute("lock table chunks in access exclusive mode");
      moving.execute("set local lock_timeout = '2s'");
      assertEquals(
          1,
          moving.executeUpdate(
              "update streams set published_seq = published_seq + 1 where stream_id = 'open-1'"),
          "the watermark moved while the chunks were locked");
      runtime.rollback();
      owner.rollback();
    }
  }

  @Test
  void theTransactionThatCreatedAnEmptyStreamMayTakeItBack() throws SQLException {
    try (Connection runtime = deployment.connectAs(LocalServices.RUNTIME_ROLE);
        Statement statement = runtime.createStatement()) {
      runtime.setAutoCommit(false);
      statement.execute(
          "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
              + " updated_at) values ('taken-back', 0, 0, 'open', now(), now())");
      assertEquals(
          1, statement.executeUpdate("delete from streams where stream_id = 'taken-back'"));
      runtime.commit();
    }
  }

  private static Executable refused(
      Connection connection, String what, String sql, String sqlState) {
    return () -> {
      connection.setAutoCommit(false);
      try (Statement statement = connection.createStatement()) {
        SQLException e = assertThrows(SQLException.class, () -> statement.execute(sql), what);
        assertEquals(sqlState, e.getSQLState(), what + ": " + e.getMessage());
      } finally {
        connection.rollback();
        connection.setAutoCommit(true);
      }
    };
  }

  /** Every row of the log's tables, as text. */
  private static String snapshot() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection owner = deployment.connect();
        Statement statement = owner.createStatement()) {
      for (String table :
          List.of("streams", "chunks", "idempotency_keys", "producers", "publications")) {
        try (ResultSet all =
            statement.executeQuery("select t::text from " + table + " t order by 1")) {
          while (all.next()) {
            rows.add(table + " " + all.getString(1));
          }
        }
      }
    }
    return String.join("\n", rows);
  }
}
