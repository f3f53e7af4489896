package io.chunkrelay.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The parameters a set-based statement unnests. Binding them to PostgreSQL is exercised by every
 * group the integration tests commit ({@code GroupCommitIT} checks the rows by SQL).
 */
class ArrayColumnsTest {
  @Test
  void itNamesOneArrayParameterPerColumnAndCountsRows() {
    ArrayColumns rows = ArrayColumns.of("varchar", "bigint", "bytea", "boolean");
    assertTrue(rows.isEmpty());
    assertEquals("unnest(?::varchar[], ?::bigint[], ?::bytea[], ?::boolean[])", rows.unnest());
    rows.add("s1", 1L, new byte[] {1}, true).add("s2", 2L, null, false);
    assertEquals(2, rows.rows());
  }

  @Test
  void aRowOfTheWrongWidthIsAMistake() {
    ArrayColumns rows = ArrayColumns.of("varchar", "bigint");
    assertThrows(IllegalArgumentException.class, () -> rows.add("only one"));
  }
}
