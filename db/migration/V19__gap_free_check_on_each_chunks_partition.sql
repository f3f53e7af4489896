-- A statement-level trigger fires only for the table a statement names: an INSERT made into a
-- partition of chunks directly (which only the owner may) passed by the parent's gap-free check
-- (CR005) and left a chunk beyond its stream's head. Every chunks partition gets the same check,
-- which fires only for such direct inserts (an insert through the parent runs the parent's).
-- And a partition is owned by its parent's owner whoever creates it: one a superuser created (as
-- DBA.md's restore does) could neither be dropped by retention nor summarised for the outbox.
CREATE FUNCTION guard_chunks_partition(part text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS stored_chunks '
                   'FOR EACH STATEMENT EXECUTE FUNCTION check_chunks_within_head()', part || '_within_head', part);
    EXECUTE format('COMMENT ON TRIGGER %I ON %I IS %L', part || '_within_head', part,
                   'No chunk inserted into this partition directly lands beyond its stream''s head (CR005).');
END
$$;
COMMENT ON FUNCTION guard_chunks_partition(text) IS
    'Gives a partition of chunks the gap-free check of inserts made into it directly (CR005); '
    'create_log_partitions() calls it for every new chunks partition.';
REVOKE ALL ON FUNCTION guard_chunks_partition(text) FROM PUBLIC;

SELECT guard_chunks_partition(c.relname)
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'chunks'::regclass;

CREATE OR REPLACE FUNCTION create_log_partitions(first_day date, last_day date) RETURNS integer
    LANGUAGE plpgsql
AS $$
DECLARE
    day date;
    t text;
    part text;
    created integer := 0;
BEGIN
    FOR day IN SELECT generate_series(first_day, last_day, interval '1 day')::date LOOP
        FOREACH t IN ARRAY ARRAY['chunks', 'publications', 'idempotency_keys', 'producers'] LOOP
            part := t || '_p' || to_char(day, 'YYYYMMDD');
            CONTINUE WHEN to_regclass(format('%I.%I', current_schema(), part)) IS NOT NULL;
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, t, day, day + 1);
            -- Owned like its parent whoever calls (a superuser restoring a day): retention drops it
            -- and summarize_new_chunks() summarises it as the owner.
            EXECUTE format('ALTER TABLE %I OWNER TO %I', part,
                           (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = t::regclass));
            EXECUTE format('COMMENT ON TABLE %I IS %L', part,
                           format('Partition of %s for %s %s (UTC).', t,
                                  CASE t WHEN 'idempotency_keys' THEN 'keys stored on'
                                         WHEN 'producers' THEN 'producers that wrote on'
                                         ELSE 'the streams created on' END, day));
            -- Statement triggers stay on the parent: a TRUNCATE of the partition itself is refused here.
            EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate()',
                           part || '_no_truncate', part);
            EXECUTE format('COMMENT ON TRIGGER %I ON %I IS %L', part || '_no_truncate', part,
                           'Partitions are dropped whole by retention, never truncated (CR002).');
            IF t = 'chunks' THEN
                PERFORM guard_chunks_partition(part);
            END IF;
            IF t IN ('chunks', 'publications', 'idempotency_keys') THEN
                EXECUTE format('ALTER TABLE %I SET (autovacuum_vacuum_insert_scale_factor = 0, '
                               'autovacuum_vacuum_insert_threshold = 100000, autovacuum_analyze_scale_factor = 0.01)',
                               part);
            END IF;
            created := created + 1;
        END LOOP;
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION create_log_partitions(date, date) IS
    'Creates the missing daily partitions of chunks, publications, idempotency_keys and producers for first_day to '
    'last_day (UTC), each with its TRUNCATE refusal and autovacuum settings (and, for chunks, the gap-free check of inserts made into the partition itself); returns how many it created.';

