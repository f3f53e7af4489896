package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.testing.Await;
import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The hottest row stays cheap: every append updates its stream's row, and no index covers a column
 * an append changes, so PostgreSQL makes those updates HOT (no index entry written). Measured from
 * {@code pg_stat_user_tables} around 1,000 appends to one stream, as a DBA would.
 */
@ExtendWith(ArquillianExtension.class)
class HotUpdateIT {
  private static final int APPENDS = 1_000;

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  /** Updates of {@code streams} so far: {total, HOT}. */
  private static long[] streamUpdates() {
    try (Connection connection = TestServices.database().connect();
        PreparedStatement select =
            connection.prepareStatement(
                "select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables"
                    + " where relname = 'streams' and schemaname = current_schema()")) {
      try (ResultSet row = select.executeQuery()) {
        assertTrue(row.next(), "no statistics for streams in " + TestServices.database());
        return new long[] {row.getLong(1), row.getLong(2)};
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void appendsUpdateTheStreamRowWithoutTouchingItsIndexes() {
    Http http = new Http(base);
    String stream = "hot-" + UUID.randomUUID();
    long[] before = streamUpdates();
    for (int i = 1; i <= APPENDS; i++) {
      Http.Response response =
          http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "c" + i));
      assertEquals(201, response.status(), response.body());
    }
    // Backends report their counts when idle (at most every 10 s): wait for all of them.
    Await.until(() -> streamUpdates()[0] - before[0] >= APPENDS, Duration.ofSeconds(30));
    long[] after = streamUpdates();
    long updates = after[0] - before[0];
    long hot = after[1] - before[1];
    System.out.printf(
        "streams updates: %d, HOT: %d (%.1f%%)%n", updates, hot, 100.0 * hot / updates);
    assertTrue(hot >= updates * 0.9, hot + " of " + updates + " updates were HOT");
  }
}
