package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.client.Chunk;
import io.chunkrelay.client.ChunkRelayClient;
import io.chunkrelay.client.ChunkRelayException;
import io.chunkrelay.client.Subscription;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.launch.LocalServices;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention by partitions, against the deployed node and its database: streams filed under days
 * long past (their partitions made by the owner, as a restore would) are written and read through
 * the API like any other; {@code maintain_log()}, called as the node's role, drops the day past
 * retention while a subscriber reads one of its streams, and keeps the day of a stream on legal
 * hold. The subscriber, a new subscriber, a reader and a producer of the expired stream all get
 * {@code stream-expired} (HTTP 410 with the earliest seq, WebSocket close 4410), the id is not
 * reused, the held and today's streams are untouched, and the verifier finds nothing before or
 * after. A producer's state outlives the drop of its old day's row, because its first write of the
 * day carried it forward.
 */
@ExtendWith(ArquillianExtension.class)
class RetentionIT {
  private static final int RETENTION_DAYS = 30;
  private static final int KEY_TTL_DAYS = 7;

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aDayPastRetentionLeavesWholeAndEveryReaderOfItsStreamsIsToldSo() throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate expiredDay = today.minusDays(RETENTION_DAYS + 10);
    LocalDate heldDay = today.minusDays(RETENTION_DAYS + 9);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String expired = "retained-old-" + suffix;
    String held = "retained-held-" + suffix;
    String fresh = "retained-today-" + suffix;
    asSuperuser(
        "select create_log_partitions('" + expiredDay + "', '" + heldDay + "')",
        streamCreatedOn(expired, expiredDay),
        streamCreatedOn(held, heldDay),
        "insert into legal_holds (stream_id, reason) values ('" + held + "', 'case RET-1')");

    // Made by a superuser, as a restore would be: owned by the schema's owner all the same, so
    // retention may drop them and the outbox summarise them.
    assertEquals(
        1,
        count(
            "select count(distinct relowner) from pg_class where relname in ('chunks_p"
                + compact(heldDay)
                + "', 'chunks', 'chunks_p"
                + compact(heldDay)
                + "_created_at_idx')"));
    Http http = new Http(base);
    List<Chunk> received = Collections.synchronizedList(new ArrayList<>());
    try (ChunkRelayClient client = ChunkRelayClient.create(base.toURI())) {
      for (String stream : List.of(expired, held, fresh)) {
        for (int i = 1; i <= 3; i++) {
          assertEquals(i, client.append(stream, "m", "word" + i + " ", false).firstSeq());
        }
      }
      Subscription reading = client.subscribe(expired, 0, received::add);
      await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 3);
      assertEquals(List.of(), problems(expired, held, fresh), "the verifier, before");

      List<String> actions = maintain();
      assertTrue(
          actions.contains("dropped chunks_p" + compact(expiredDay)),
          "the expired day's chunks went: " + actions);
      assertTrue(
          actions.contains("held chunks_p" + compact(heldDay)),
          "the held day's chunks stayed: " + actions);
      assertTrue(
          actions.contains("dropped idempotency_keys_p" + compact(heldDay))
              && actions.contains("dropped producers_p" + compact(heldDay)),
          "keys and producers leave after their own, shorter TTL, legal hold or not: " + actions);

      // The subscriber reading the expired stream hears it: a definite end, not silence.
      ExecutionException ended =
          assertThrows(
              ExecutionException.class, () -> reading.completion().get(30, TimeUnit.SECONDS));
      assertEquals("stream-expired", ((ChunkRelayException) ended.getCause()).code());
      assertEquals(3, received.size());
      // A new subscriber is told at once, and nothing is delivered.
      Subscription late = client.subscribe(expired, 0, chunk -> received.add(chunk));
      ExecutionException refused =
          assertThrows(ExecutionException.class, () -> late.completion().get(30, TimeUnit.SECONDS));
      assertEquals("stream-expired", ((ChunkRelayException) refused.getCause()).code());
      assertEquals(3, received.size());

      // Over HTTP: 410 with the earliest seq the log could still hold; the id is not reused.
      for (Http.Response answer :
          List.of(
              http.get("api/streams/" + expired + "/chunks?after=0"),
              http.get("api/streams/" + expired),
              http.postJson("api/streams/" + expired + "/chunks", Http.chunk("m", "again")),
              http.postJson("api/streams/" + expired + "/complete", "{}"))) {
        assertEquals(410, answer.status(), answer.body());
        assertEquals("stream-expired", answer.json().get("code").asText(), answer.body());
        assertEquals(4, answer.json().get("earliestSeq").asLong(), answer.body());
      }
      assertEquals(1, count("select count(*) from streams where stream_id = '" + expired + "'"));
      assertEquals(0, count("select count(*) from chunks where stream_id = '" + expired + "'"));

      // The held stream and today's are untouched, for readers and writers.
      for (String stream : List.of(held, fresh)) {
        assertEquals(4, client.append(stream, "m", "more", true).firstSeq());
        client.complete(stream);
        Subscription whole = client.subscribe(stream, 0, chunk -> {});
        assertEquals(4, whole.completion().get(30, TimeUnit.SECONDS));
      }
    }
    assertEquals(List.of(), problems(expired, held, fresh), "the verifier, after");
    // Expired is final, whoever connects (CR008).
    SQLException back =
        assertThrows(
            SQLException.class,
            () ->
                asSuperuser(
                    "update streams set expired_at = null where stream_id = '" + expired + "'"));
    assertEquals("CR008", back.getSQLState());
  }

  @Test
  void aProducersStateIsCarriedToTheDayItWritesOnSoDroppingItsOldDayLosesNothing()
      throws Exception {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate old = today.minusDays(KEY_TTL_DAYS + 2);
    String stream = "retained-producer-" + UUID.randomUUID();
    Http http = new Http(base);
    String path = "api/streams/" + stream + "/chunks";
    assertEquals(201, http.postJson(path, Http.chunk("m", "first")).status());
    // The producer last wrote days ago: its state is a row of that day only.
    asSuperuser(
        "select create_log_partitions('" + old + "', '" + old + "')",
        "insert into producers (stream_id, producer_id, epoch, last_seq, last_stream_seq,"
            + " updated_at, active_day) values ('"
            + stream
            + "', 'writer', 4, 0, 1, now() - interval '9 days', '"
            + old
            + "')");
    Http.Response next = produce(http, path, 1, "second");
    assertEquals(201, next.status(), next.body());
    assertEquals(
        2,
        count(
            "select count(*) from producers where stream_id = '"
                + stream
                + "' and producer_id = 'writer'"),
        "today's first write carried the state to a row of today");

    List<String> actions = maintain();
    assertTrue(
        actions.contains("dropped producers_p" + compact(old)), "the old day went: " + actions);
    // The state held: a resend of number 1 is skipped, number 2 is next, a hole is refused.
    Http.Response resend = produce(http, path, 1, "second");
    assertEquals(200, resend.status(), resend.body());
    assertEquals(1, resend.json().get("duplicates").asLong(), resend.body());
    assertEquals(2, resend.json().get("seq").asLong(), resend.body());
    assertEquals(201, produce(http, path, 2, "third").status());
    assertEquals(409, produce(http, path, 9, "hole").status());
    assertEquals(3, count("select head_seq from streams where stream_id = '" + stream + "'"));
  }

  @Test
  void nodesRunningRetentionAtOnceTakeTurnsTheSecondReturnsBusy() throws Exception {
    try (Connection first = TestServices.database().connectAs(LocalServices.RUNTIME_ROLE)) {
      first.setAutoCommit(false);
      try (PreparedStatement maintain =
          first.prepareStatement("select action from maintain_log(?, ?)")) {
        maintain.setInt(1, RETENTION_DAYS);
        maintain.setInt(2, KEY_TTL_DAYS);
        maintain.executeQuery().close();
      }
      // The first caller's transaction is still open: another node's run returns at once.
      assertEquals(List.of("busy null"), maintain());
      first.commit();
    }
    assertTrue(!maintain().contains("busy null"), "once the first is done, the next one runs");
  }

  private static Http.Response produce(Http http, String path, long seq, String content) {
    return http.postJson(
        path,
        Http.chunk("m", content),
        "Producer-Id",
        "writer",
        "Producer-Epoch",
        "4",
        "Producer-Seq",
        Long.toString(seq));
  }

  private static String streamCreatedOn(String stream, LocalDate day) {
    return "insert into streams (stream_id, created_at, updated_at, stored_at) values ('"
        + stream
        + "', '"
        + day
        + " 12:00Z', now(), '"
        + day
        + " 12:00Z')";
  }

  private static String compact(LocalDate day) {
    return day.toString().replace("-", "");
  }

  /** Runs maintain_log as the node's role; returns "action partition" per row. */
  private static List<String> maintain() throws SQLException {
    List<String> actions = new ArrayList<>();
    try (Connection connection = TestServices.database().connectAs(LocalServices.RUNTIME_ROLE);
        PreparedStatement maintain =
            connection.prepareStatement("select action, partition_name from maintain_log(?, ?)")) {
      maintain.setInt(1, RETENTION_DAYS);
      maintain.setInt(2, KEY_TTL_DAYS);
      try (ResultSet rows = maintain.executeQuery()) {
        while (rows.next()) {
          actions.add(rows.getString(1) + " " + rows.getString(2));
        }
      }
    }
    return actions;
  }

  private static void asSuperuser(String... statements) throws SQLException {
    try (Connection connection = TestServices.database().connect();
        Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  private static long count(String sql) throws SQLException {
    try (Connection connection = TestServices.database().connect();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getLong(1);
    }
  }

  /** What the verifier finds in these streams (other tests tamper with streams of their own). */
  private static List<String> problems(String... streams) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection connection = TestServices.database().connect();
        PreparedStatement verify =
            connection.prepareStatement("select stream_id, seq, problem from verify_log(?)")) {
      for (String stream : streams) {
        verify.setString(1, stream);
        try (ResultSet rows = verify.executeQuery()) {
          while (rows.next()) {
            found.add(rows.getString(1) + " " + rows.getString(2) + " " + rows.getString(3));
          }
        }
      }
    }
    return found;
  }
}
