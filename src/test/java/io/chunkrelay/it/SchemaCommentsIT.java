package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.store.Schema;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A DBA finds what every part of the schema means in the catalog: after the migrations, every
 * table, column, constraint, index, function and trigger of the node's schema has a comment
 * (Flyway's own history table aside; a daily partition's table has one, and its columns,
 * constraints, indexes and cloned triggers are its parent's, commented there). A migration that
 * adds one without a comment fails here, naming it.
 */
class SchemaCommentsIT {
  private static final String UNCOMMENTED =
      """
      select 'table ' || c.relname from pg_class c
       where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v')
         and c.relname <> 'flyway_schema_history' and obj_description(c.oid, 'pg_class') is null
      union all
      select 'column ' || c.relname || '.' || a.attname from pg_attribute a
        join pg_class c on c.oid = a.attrelid
       where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v')
         and c.relname <> 'flyway_schema_history' and a.attnum > 0 and not a.attisdropped
         and not c.relispartition
         and col_description(c.oid, a.attnum) is null
      union all
      select 'constraint ' || k.conrelid::regclass || '.' || k.conname from pg_constraint k
       where k.connamespace = current_schema()::regnamespace
         and k.conrelid::regclass::text <> 'flyway_schema_history' and k.conparentid = 0
         and not exists (select from pg_class p where p.oid = k.conrelid and p.relispartition)
         and obj_description(k.oid, 'pg_constraint') is null
      union all
      select 'index ' || i.indexrelid::regclass from pg_index i
        join pg_class c on c.oid = i.indexrelid
       where c.relnamespace = current_schema()::regnamespace
         and i.indrelid::regclass::text <> 'flyway_schema_history' and not c.relispartition
         and obj_description(i.indexrelid, 'pg_class') is null
      union all
      select 'function ' || p.oid::regprocedure from pg_proc p
       where p.pronamespace = current_schema()::regnamespace
         and obj_description(p.oid, 'pg_proc') is null
      union all
      select 'trigger ' || t.tgrelid::regclass || '.' || t.tgname from pg_trigger t
        join pg_class c on c.oid = t.tgrelid
       where c.relnamespace = current_schema()::regnamespace and not t.tgisinternal
         and t.tgparentid = 0
         and obj_description(t.oid, 'pg_trigger') is null
      order by 1
      """;

  @Test
  void everyTableColumnConstraintIndexAndFunctionIsCommented() throws Exception {
    TestServices.Database login = TestServices.database();
    String schema = "comments_" + Integer.toString(new SecureRandom().nextInt(1 << 20), 36);
    TestServices.Database fresh = login.otherSchema(schema);
    Schema.migrate(fresh.owner());
    try (Connection connection = fresh.connect();
        PreparedStatement query = connection.prepareStatement(UNCOMMENTED);
        ResultSet rows = query.executeQuery()) {
      List<String> uncommented = new ArrayList<>();
      while (rows.next()) {
        uncommented.add(rows.getString(1));
      }
      assertEquals(List.of(), uncommented, "objects without a COMMENT ON");
    } finally {
      fresh.dropSchema();
    }
  }
}
