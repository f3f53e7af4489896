package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.store.Database;
import io.chunkrelay.store.Outbox;
import io.chunkrelay.store.PoolSettings;
import io.chunkrelay.store.RelayLock;
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
    try (Connection admin = first.connect();
        Statement statement = admin.createStatement()) {
      statement.execute("create schema " + oneSchema);
      statement.execute("create schema " + otherSchema);
    }
    try (Database one = open(first.jdbcUrl().replace(first.schema(), oneSchema), first);
        Database two = open(first.jdbcUrl().replace(first.schema(), otherSchema), first);
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
      try (Connection admin = first.connect();
          Statement statement = admin.createStatement()) {
        statement.execute("drop schema if exists " + oneSchema + " cascade");
        statement.execute("drop schema if exists " + otherSchema + " cascade");
      }
    }
  }

  private static Database open(String jdbcUrl, TestServices.Database login) {
    return Database.pooled(
        new PoolSettings(
            jdbcUrl,
            Optional.of(login.user()),
            Optional.ofNullable(login.password()),
            3,
            5_000,
            15_000,
            "relay-lock-it"));
  }
}
