package io.chunkrelay.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Keeps fan-out sealed on a deployment nobody gave a key: the nodes share one generated key through
 * PostgreSQL, which every node of a deployment already trusts. The first node to ask generates 32
 * random bytes; every node, that one included, reads what the table holds, so concurrent first
 * starts agree.
 */
public final class ClusterKeys {
  static final int KEY_BYTES = 32;

  private ClusterKeys() {}

  /** The deployment's fan-out key; throws when the database cannot give it. */
  public static byte[] fanout(Database database) {
    byte[] generated = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(generated);
    try (Connection connection = database.dataSource().getConnection()) {
      connection.setAutoCommit(true);
      try (PreparedStatement insert =
          connection.prepareStatement(
              "insert into cluster_keys (name, secret) values ('fanout', ?)"
                  + " on conflict (name) do nothing")) {
        insert.setBytes(1, generated);
        insert.executeUpdate();
      }
      // A statement of its own: it sees the row another node committed first.
      try (PreparedStatement select =
              connection.prepareStatement("select secret from cluster_keys where name = 'fanout'");
          ResultSet row = select.executeQuery()) {
        if (!row.next()) {
          throw new IllegalStateException("cluster_keys holds no fan-out key after inserting one");
        }
        return row.getBytes(1);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read or create the fan-out key in cluster_keys", e);
    }
  }
}
