package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.store.Database;
import io.chunkrelay.store.PoolSettings;
import io.chunkrelay.store.Schema;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The three roles of the log (docs/DBA.md, Roles): the owner migrates, the node's runtime role has
 * exactly what the node's SQL needs and server-side limits, the auditor reads and writes nothing;
 * and a node that does not migrate refuses a schema behind its version, saying how to migrate.
 */
class RolesIT {
  private static TestServices.Database deployment;

  @BeforeAll
  static void migratedAsTheOwner() {
    deployment =
        TestServices.database()
            .otherSchema("roles_" + Integer.toString(new SecureRandom().nextInt(1 << 20), 36));
    Schema.Migrated migrated = Schema.migrate(deployment.owner());
    assertTrue(migrated.applied() > 0, migrated.toString());
    try (Connection owner = connectAsOwner();
        Statement statement = owner.createStatement()) {
      statement.execute(
          "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
              + " updated_at) values ('audited', 0, 0, 'open', now(), now())");
      statement.execute(
          "with moved as (update streams set head_seq = 1 where stream_id = 'audited'"
              + " returning stream_id) insert into chunks (stream_id, seq, message_id, content,"
              + " final, created_at, appended_by, chain) select stream_id, 1, 'm', 'hello', false,"
              + " now(), 'alice', chain_link(chain_genesis(stream_id), 1, 'm', false, 'hello')"
              + " from moved");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void dropped() {
    deployment.dropSchema();
  }

  @Test
  void theRuntimeRoleCannotChangeTheLogOrTheSchema() throws Exception {
    try (Connection runtime = deployment.connectAs(LocalServices.RUNTIME_ROLE)) {
      for (String tampering :
          List.of(
              "update chunks set content = 'altered'",
              "delete from chunks",
              "truncate chunks",
              "truncate streams cascade",
              "update streams set created_at = now() - interval '1 year'",
              "update producers set stream_id = 'x'",
              "delete from idempotency_keys",
              "delete from producers",
              "alter table chunks disable trigger all",
              "drop table chunks",
              "create table smuggled (x int)",
              "select brin_summarize_new_values(relid) from pg_partition_tree('chunks_created_at')"
                  + " where isleaf",
              "select * from create_log_partitions('2020-01-01', '2020-01-01')",
              "update streams set expired_at = now()",
              "insert into legal_holds (stream_id, reason) values ('audited', 'x')")) {
        assertRefused(runtime, tampering, "42501");
      }
      // What it needs, it has: reading the log, the fan-out key, the schema's version, and
      // summarising the BRIN index through the owner's function.
      for (String needed :
          List.of(
              "select count(*) from chunks",
              "select count(*) from cluster_keys",
              "select max(version) from flyway_schema_history",
              "select summarize_new_chunks()")) {
        try (Statement statement = runtime.createStatement()) {
          statement.execute(needed);
        }
      }
    }
  }

  @Test
  void theRuntimeRoleHasServerSideLimits() throws Exception {
    try (Connection runtime = deployment.connectAs(LocalServices.RUNTIME_ROLE)) {
      assertEquals("10s", show(runtime, "statement_timeout"));
      assertEquals("5s", show(runtime, "lock_timeout"));
      assertEquals("30s", show(runtime, "idle_in_transaction_session_timeout"));
    }
  }

  @Test
  void theAuditorReadsTheLogAndWritesNothing() throws Exception {
    try (Connection auditor = deployment.connect()) {
      try (Statement statement = auditor.createStatement()) {
        statement.execute("set role " + LocalServices.AUDITOR_ROLE);
        try (ResultSet row =
            statement.executeQuery("select content from chunks where stream_id = 'audited'")) {
          assertTrue(row.next());
          assertEquals("hello", row.getString(1));
        }
        statement.execute("select count(*) from streams, producers, idempotency_keys");
      }
      for (String write :
          List.of(
              "insert into chunks (stream_id, seq, message_id, content, final, created_at,"
                  + " appended_by, chain)"
                  + " values ('audited', 2, 'm', 'x', false, now(), 'mallory', sha256('x'))",
              "update streams set head_seq = 5",
              "delete from streams",
              "select secret from cluster_keys",
              "select summarize_new_chunks()")) {
        assertRefused(auditor, write, "42501");
      }
    }
  }

  @Test
  void aNodeThatDoesNotMigrateRefusesASchemaBehindItsVersion() {
    TestServices.Database behind =
        TestServices.database()
            .otherSchema("behind_" + Integer.toString(new SecureRandom().nextInt(1 << 20), 36));
    try {
      IllegalStateException refused =
          assertThrows(IllegalStateException.class, () -> openAsNode(behind).close());
      assertTrue(
          refused.getMessage().contains("java -jar chunk-relay.jar migrate")
              && refused.getMessage().contains("CHUNK_RELAY_DB_MIGRATE"),
          refused.getMessage());
      Schema.migrate(behind.owner());
      openAsNode(behind).close();
    } finally {
      behind.dropSchema();
    }
  }

  private static Database openAsNode(TestServices.Database schema) {
    return Database.pooled(
        new PoolSettings(
            schema.jdbcUrl(),
            Optional.of(LocalServices.RUNTIME_ROLE),
            Optional.of(schema.password()),
            2,
            5_000,
            15_000,
            "roles-it"),
        Schema.Migration.checkOnly());
  }

  private static Connection connectAsOwner() throws SQLException {
    return deployment.connectAs(LocalServices.OWNER_ROLE);
  }

  private static String show(Connection connection, String setting) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("show " + setting)) {
      row.next();
      return row.getString(1);
    }
  }

  /** Runs {@code sql} in a transaction of its own that must fail with {@code sqlState}. */
  static void assertRefused(Connection connection, String sql, String sqlState)
      throws SQLException {
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      SQLException refused = assertThrows(SQLException.class, () -> statement.execute(sql), sql);
      assertEquals(sqlState, refused.getSQLState(), sql + ": " + refused.getMessage());
    } finally {
      connection.rollback();
      connection.setAutoCommit(true);
    }
  }
}
