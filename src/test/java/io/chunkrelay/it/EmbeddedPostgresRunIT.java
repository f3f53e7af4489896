package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.EmbeddedRun;
import io.chunkrelay.it.support.Http;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The embedded run on its embedded PostgreSQL, the default of a machine without one: it stores and
 * serves a chunk, and a normal stop (SIGTERM) is quiet. The node stops before its database does: no
 * connection of the node is cut by the database's shutdown (57P01), nothing is lost or failed.
 */
class EmbeddedPostgresRunIT {
  @Test
  void itServesOnItsEmbeddedPostgresAndStopsQuietly() throws Exception {
    try (EmbeddedRun run = EmbeddedRun.withEmbeddedPostgres("embedded-postgres-run")) {
      assertTrue(run.said("database:  embedded PostgreSQL"), run.tail());
      Http http = new Http(run.base());
      String stream = "embedded-pg-" + UUID.randomUUID();
      Http.Response appended =
          http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "kept"));
      assertEquals(201, appended.status(), appended.body());
      assertTrue(http.get("api/streams/" + stream + "/chunks?after=0").body().contains("kept"));

      run.process().destroy();
      assertTrue(run.process().waitFor(60, TimeUnit.SECONDS), "the run stops on SIGTERM");
      String stop = run.afterStart();
      assertTrue(stop.contains("Chunk Relay node stopped"), run.tail());
      // The run stops its PostgreSQL itself, after the node: not a hook of the database's own,
      // racing the node's stop (whose connections it then cut with 57P01).
      int nodeStopped = stop.indexOf("Chunk Relay node stopped");
      int databaseStops = stop.indexOf("shut down postmaster");
      assertTrue(databaseStops > nodeStopped, "the database stops after the node:\n" + run.tail());
      for (String noise : List.of("57P01", "terminating connection", "SEVERE", "failed", "lost")) {
        assertFalse(stop.contains(noise), "'" + noise + "' during the stop:\n" + run.tail());
      }
    }
  }
}
