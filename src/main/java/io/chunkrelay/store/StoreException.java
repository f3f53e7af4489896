package io.chunkrelay.store;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Keeps promise 1 (ack means durable): a failed operation committed nothing. The database failed a
 * chunk-log operation; the cause carries the SQLState. Nothing committed.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  StoreException(String message, SQLException cause) {
    super(message + ": " + cause.getMessage(), cause);
  }

  /**
   * Whether {@code failure} says PostgreSQL itself could not be reached or went away (a connection
   * that could not be had, SQLState class 08, 57P0x, too many connections): no request can succeed
   * now, and retrying later may.
   */
  public static boolean databaseUnreachable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")) {
          return true;
        }
      }
    }
    return false;
  }
}
