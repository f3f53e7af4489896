package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the outbox relay to one node at a time: a PostgreSQL session-level advisory lock held on a
 * connection kept for it. If the holder dies, its session ends, the lock is free, and another
 * node's next {@link #holdOrTake()} takes it. The lock is the pair (a constant, the oid of the
 * {@code streams} table the connection's search path finds): one per deployment, even where several
 * share a database in schemas of their own. Thread-safe.
 */
public final class RelayLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RelayLock.class);
  private static final int VALID_CHECK_SECONDS = 2;

  /** This deployment's {@code streams} table, as the lock's second key. */
  private static final String DEPLOYMENT_KEY = "'streams'::regclass::oid::int";

  private final DataSource dataSource;
  private final int classKey;
  private Connection holder;

  RelayLock(DataSource dataSource, int classKey) {
    this.dataSource = dataSource;
    this.classKey = classKey;
  }

  /** Whether this node holds the lock now. */
  public synchronized boolean isHeld() {
    return holder != null;
  }

  /**
   * Keeps the lock if its session is still alive, else tries to take it; returns whether this node
   * holds it. A database that cannot be reached means not holding it.
   */
  public synchronized boolean holdOrTake() {
    try {
      if (holder != null) {
        if (holder.isValid(VALID_CHECK_SECONDS)) {
          return true;
        }
        LOG.warn("the relay lock's database session is gone; stepping down");
        drop();
      }
      Connection connection = dataSource.getConnection();
      boolean taken = false;
      try (PreparedStatement lock =
          connection.prepareStatement("select pg_try_advisory_lock(?, " + DEPLOYMENT_KEY + ")")) {
        lock.setInt(1, classKey);
        try (ResultSet result = lock.executeQuery()) {
          taken = result.next() && result.getBoolean(1);
        }
      } finally {
        if (taken) {
          holder = connection;
        } else {
          connection.close();
        }
      }
      return taken;
    } catch (SQLException e) {
      LOG.debug("cannot take the relay lock: {}", e.toString());
      drop();
      return false;
    }
  }

  /** Releases the lock (the next node takes it at its next attempt) and its connection. */
  @Override
  public synchronized void close() {
    if (holder != null) {
      try (PreparedStatement unlock =
          holder.prepareStatement("select pg_advisory_unlock(?, " + DEPLOYMENT_KEY + ")")) {
        unlock.setInt(1, classKey);
        unlock.execute();
      } catch (SQLException e) {
        LOG.debug("releasing the relay lock: {}", e.toString());
      }
    }
    drop();
  }

  private void drop() {
    if (holder != null) {
      try {
        holder.close();
      } catch (SQLException e) {
        LOG.debug("closing the relay lock's connection: {}", e.toString());
      }
      holder = null;
    }
  }
}
