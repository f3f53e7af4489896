package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.store.Database;
import io.chunkrelay.store.Outbox;
import io.chunkrelay.store.PoolSettings;
import io.chunkrelay.store.RelayLock;
import io.chunkrelay.store.Schema;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The outbox relay's lock is one per deployment: two deployments in schemas of their own in one
 * database each elect their own relay (with one key for all, the second deployment's outbox would
 * never be relayed), while two nodes of one deployment still exclude each other.
 */
class RelayLockIT {
  @Test
  void twoDeploymentsInOneDatabaseEachHaveTheirOwnRelay() throws Exception {
    // Schemas of this test's own: no node of another test holds their locks.
    TestServices.Database first = TestServices.database();
    String suffix = Integer.toString(new SecureRandom().nextInt(1 << 20), 36);
    String oneSchema = "relay_lock_a_" + suffix;
    String otherSchema = "relay_lock_b_" + suffix;
    TestServices.Database oneSchemaDb = first.otherSchema(oneSchema);
    TestServices.Database otherSchemaDb = first.otherSchema(otherSchema);
    try (Database one = open(oneSchemaDb);
        Database two = open(otherSchemaDb);
        RelayLock nodeA = Outbox.over(one).relayLock();
        RelayLock nodeB = Outbox.over(one).relayLock();
        RelayLock otherDeployment = Outbox.over(two).relayLock()) {
      assertTrue(nodeA.holdOrTake(), "the first node of a deployment takes its lock");
      assertFalse(nodeB.holdOrTake(), "a second node of the same deployment does not");
      assertTrue(
          otherDeployment.holdOrTake(), "another deployment in the same database has its own");
      try (Connection admin = first.connect();
          Statement statement = admin.createStatement();
          ResultSet held =
              statement.executeQuery(
                  "select count(distinct objid) from pg_locks where locktype = 'advisory'"
                      + " and classid = "
                      + 0x6368_6e6b)) {
        held.next();
        assertEquals(2, held.getInt(1), "one lock each, keyed by each deployment's streams table");
      }
      nodeA.close();
      assertTrue(nodeB.holdOrTake(), "released, the lock goes to the deployment's next node");
    } finally {
      oneSchemaDb.dropSchema();
      otherSchemaDb.dropSchema();
    }
  }

  /** A node's database in {@code deployment}: migrated as the owner, used as the runtime role. */
  private static Database open(TestServices.Database deployment) {
    return Database.pooled(
        new PoolSettings(
            deployment.jdbcUrl(),
            Optional.of(LocalServices.RUNTIME_ROLE),
            Optional.of(deployment.password()),
            3,
            5_000,
            15_000,
            "relay-lock-it"),
        Schema.Migration.as(deployment.owner()));
  }
}
