package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verifier a DBA runs on a schedule: nothing for a healthy log; for each way the log can be
 * broken behind its triggers' back (as a superuser with them disabled), one row naming the stream,
 * the seq and the problem. The auditor role reads the views and runs it.
 */
class VerifierIT {
  private TestServices.Database deployment;

  @BeforeEach
  void aHealthyLogOfThreeStreams() throws SQLException {
    deployment =
        TestServices.database()
            .otherSchema("verify_" + Integer.toString(new SecureRandom().nextInt(1 << 20), 36));
    Schema.migrate(deployment.owner());
    try (Connection owner = deployment.connectAs(LocalServices.OWNER_ROLE);
        Statement statement = owner.createStatement()) {
      statement.execute(
          "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
              + " updated_at) select 's' || i, 0, 0, 'open', now(), now()"
              + " from generate_series(1, 3) as i");
      // As the node stores chunks: heads moved over them, each linked into its stream's chain.
      statement.execute(
          "with moved as (update streams set head_seq = head_seq + 5 returning stream_id)"
              + " insert into chunks (stream_id, seq, message_id, content, final, created_at,"
              + " appended_by, chain) select stream_id, seq, 'm', 'chunk ' || seq, seq = 5, now(),"
              + " 'alice', chain_of(chain_genesis(stream_id), seq, 'm', seq = 5, 'chunk ' || seq)"
              + " over (partition by stream_id order by seq) from moved, generate_series(1, 5) seq");
      statement.execute(
          "with moved as (update streams set published_seq = 5 returning stream_id)"
              + " insert into publications (stream_id, first_seq, last_seq)"
              + " select stream_id, 1, 5 from moved");
    }
  }

  @AfterEach
  void dropped() {
    deployment.dropSchema();
  }

  @Test
  void aHealthyLogGivesNothingAndTheAuditorReadsEveryView() throws SQLException {
    assertEquals(List.of(), problems());
    try (Connection auditor = deployment.connect();
        Statement statement = auditor.createStatement()) {
      statement.execute("set role " + LocalServices.AUDITOR_ROLE);
      try (ResultSet health =
          statement.executeQuery(
              "select head_seq, published_seq, unpublished_chunks, last_writer, head_chain"
                  + " from stream_health where stream_id = 's1'")) {
        assertTrue(health.next());
        assertEquals(5, health.getLong(1));
        assertEquals(5, health.getLong(2));
        assertEquals(0, health.getLong(3));
        assertEquals("alice", health.getString(4));
        assertEquals(64, health.getString(5).length());
      }
      try (ResultSet lag = statement.executeQuery("select count(*) from outbox_lag")) {
        lag.next();
        assertEquals(0, lag.getLong(1));
      }
      try (ResultSet verified = statement.executeQuery("select count(*) from verify_log()")) {
        verified.next();
        assertEquals(0, verified.getLong(1));
      }
    }
  }

  @Test
  void eachBreakageBehindTheTriggersIsNamedWithItsStreamAndSeq() throws SQLException {
    behindTheTriggers(
        "update chunks set content = 'forged' where stream_id = 's1' and seq = 3",
        "delete from chunks where stream_id = 's2' and seq = 2",
        "delete from chunks where stream_id = 's3' and seq = 5");
    assertEquals(
        List.of(
            "s1 3 hash-mismatch",
            "s2 3 hole: seqs 2 to 2 are missing",
            "s3 5 missing-tail: head_seq is 5 but the last chunk is 4"),
        problems());
  }

  @Test
  void aStreamDeletedAndCreatedAgainIsAReusedId() throws SQLException {
    // Gone with its chunks, as only someone who set the triggers aside could; its publication
    // records were forgotten.
    behindTheTriggers(
        "delete from chunks where stream_id = 's2'", "delete from streams where stream_id = 's2'");
    try (Connection superuser = deployment.connect();
        Statement statement = superuser.createStatement()) {
      statement.execute(
          "insert into streams (stream_id, head_seq, published_seq, status, created_at,"
              + " updated_at) values ('s2', 0, 0, 'open', now(), now())");
    }
    List<String> problems = problems();
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("s2 null reused-id"), problems.toString());
  }

  @Test
  void chunksBeyondTheHeadAndWithoutAStreamAreNamed() throws SQLException {
    behindTheTriggers(
        "insert into chunks (stream_id, seq, message_id, content, final, created_at, appended_by,"
            + " chain) values ('s1', 6, 'm', 'smuggled', false, now(), 'mallory',"
            + " chain_link((select chain from chunks where stream_id = 's1' and seq = 5), 6, 'm',"
            + " false, 'smuggled'))");
    assertEquals(
        List.of("s1 6 beyond-head: chunks up to 6 are stored but head_seq is 5"), problems());
  }

  /** Runs {@code statements} as a superuser with the log's triggers (and foreign keys) off. */
  private void behindTheTriggers(String... statements) throws SQLException {
    try (Connection superuser = deployment.connect();
        Statement statement = superuser.createStatement()) {
      superuser.setAutoCommit(false);
      statement.execute("set local session_replication_role = replica");
      for (String sql : statements) {
        statement.execute(sql);
      }
      superuser.commit();
    }
  }

  /**
   * verify_log()'s rows as "stream seq problem[: detail]" (detail left out for hash mismatches).
   */
  private List<String> problems() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection connection = deployment.connect();
        Statement statement = connection.createStatement();
        ResultSet problem = statement.executeQuery("select * from verify_log()")) {
      while (problem.next()) {
        String kind = problem.getString(3);
        rows.add(
            problem.getString(1)
                + " "
                + problem.getObject(2)
                + " "
                + kind
                + (kind.equals("hash-mismatch") || kind.equals("reused-id")
                    ? ""
                    : ": " + problem.getString(4)));
      }
    }
    return rows;
  }
}
