package io.chunkrelay.store;

import java.sql.SQLException;

/**
 * Keeps promise 1: a failed operation committed nothing. The database failed a chunk-log operation;
 * the cause carries the SQLState. Nothing committed.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  StoreException(String message, SQLException cause) {
    super(message + ": " + cause.getMessage(), cause);
  }
}
