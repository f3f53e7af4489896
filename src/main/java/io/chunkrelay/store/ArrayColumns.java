package io.chunkrelay.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Rows handed to PostgreSQL as one array per column, for the set-based statements of a group: the
 * statement reads them back with {@code unnest(?::varchar[], ?::bigint[], ...)}, so a whole group
 * costs one round trip however many rows it has, and the plan does not change with their number.
 *
 * <p>Columns are typed by their SQL array element type: {@code varchar}, {@code text}, {@code
 * bigint}, {@code boolean} or {@code bytea}. A value may be null (SQL NULL).
 */
final class ArrayColumns {
  private final String[] types;
  private final List<List<Object>> columns = new ArrayList<>();

  private ArrayColumns(String... types) {
    this.types = types.clone();
    for (int i = 0; i < types.length; i++) {
      columns.add(new ArrayList<>());
    }
  }

  /** Columns of these SQL element types, in the statement's order. */
  static ArrayColumns of(String... types) {
    return new ArrayColumns(types);
  }

  /** Adds one row: a value for each column, in order. */
  ArrayColumns add(Object... row) {
    if (row.length != types.length) {
      throw new IllegalArgumentException(
          "a row of " + types.length + " columns, got " + row.length + " values");
    }
    for (int i = 0; i < row.length; i++) {
      columns.get(i).add(row[i]);
    }
    return this;
  }

  int rows() {
    return columns.get(0).size();
  }

  boolean isEmpty() {
    return rows() == 0;
  }

  /** {@code unnest(?::varchar[], ?::bigint[], ...)}: one parameter per column. */
  String unnest() {
    StringJoiner parameters = new StringJoiner(", ", "unnest(", ")");
    for (String type : types) {
      parameters.add("?::" + type + "[]");
    }
    return parameters.toString();
  }

  /**
   * Binds each column as an array, to the parameters from {@code first} on; returns the index of
   * the parameter after the last.
   */
  int bind(Connection connection, PreparedStatement statement, int first) throws SQLException {
    for (int i = 0; i < types.length; i++) {
      statement.setArray(first + i, connection.createArrayOf(types[i], typed(i)));
    }
    return first + types.length;
  }

  /** The column as an array of the Java type the driver maps to its SQL type. */
  private Object[] typed(int column) {
    List<Object> values = columns.get(column);
    return switch (types[column]) {
      case "bigint" -> values.toArray(new Long[0]);
      case "boolean" -> values.toArray(new Boolean[0]);
      case "bytea" -> values.toArray(new byte[0][]);
      case "varchar", "text" -> values.toArray(new String[0]);
      default -> throw new IllegalStateException("no array binding for " + types[column]);
    };
  }
}
