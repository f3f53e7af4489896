-- The same rules for every writer, at less cost to every append (profiled with perf on the
-- node's statement: docs/PERFORMANCE.md, tenth session).
--
-- 1. streams_forward_only was one BEFORE UPDATE trigger whose WHEN clause named every rule
--    (CR003, CR004, CR007, CR008). PostgreSQL reads a trigger's WHEN clause back from its stored
--    text for every statement that updates the table, so the append, which moves a head and its
--    updated_at and breaks no rule, paid for reading the whole clause each time. Three triggers
--    scoped to the columns their rules are about (UPDATE OF ...: a trigger is skipped, its WHEN
--    unread, when the statement sets none of its columns) keep the same rules with the same
--    function and the same refusals.
--
-- 2. The foreign key chunks_stream_id_fkey checked each chunk's stream with a query of its own per
--    chunk: a third of the database's time for a large group. The gap-free check the statement
--    runs anyway (check_chunks_within_head, once per statement over all its rows) now also refuses
--    a chunk whose stream, on that day, does not exist (SQLSTATE 23503, as the key did), reading
--    each stream of the statement once. A stream with chunks still cannot be deleted
--    (streams_never_deleted, CR006) nor its id or day changed (streams_immutable, CR007); the
--    keys of idempotency_keys, producers, publications and legal_holds stay foreign keys.

DROP TRIGGER streams_forward_only ON streams;

CREATE TRIGGER streams_immutable BEFORE UPDATE OF stream_id, created_at, stored_at ON streams
    FOR EACH ROW EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_immutable ON streams IS
    'A stream''s id and creation times (and so its day) never change (CR007); fires only for an UPDATE that sets them.';

CREATE TRIGGER streams_forward_only BEFORE UPDATE OF head_seq, published_seq ON streams
    FOR EACH ROW
    WHEN (NEW.head_seq < OLD.head_seq OR NEW.published_seq < OLD.published_seq)
    EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_forward_only ON streams IS
    'Heads and watermarks only go up (CR003).';

CREATE TRIGGER streams_final BEFORE UPDATE OF head_seq, status, completed_at, expired_at ON streams
    FOR EACH ROW
    WHEN (OLD.status = 'completed' OR OLD.expired_at IS NOT NULL)
    EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_final ON streams IS
    'A completed stream is never reopened and its head never moves (CR004); an expired one never comes back (CR008).';

CREATE OR REPLACE FUNCTION check_chunks_within_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wrong record;
BEGIN
    SELECT n.stream_id, n.stream_day, n.last, s.head_seq, s.stream_id IS NOT NULL AS known INTO wrong
      FROM (SELECT stream_id, stream_day, max(seq) AS last FROM stored_chunks GROUP BY stream_id, stream_day) n
      LEFT JOIN streams s ON s.stream_id = n.stream_id AND s.created_day = n.stream_day
     WHERE s.stream_id IS NULL OR n.last > s.head_seq
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT wrong.known THEN
        RAISE EXCEPTION 'chunk_relay.stream_exists: chunk % names stream % created on %, which the log does not hold',
            wrong.last, wrong.stream_id, wrong.stream_day
            USING ERRCODE = '23503',
                  HINT = 'A chunk''s stream_day is the UTC day its stream was created (streams.created_day).';
    END IF;
    RAISE EXCEPTION 'chunk_relay.gap_free: chunk % of stream % is beyond its head (%): chunks are stored at head + 1 with the head moved over them',
        wrong.last, wrong.stream_id, wrong.head_seq
        USING ERRCODE = 'CR005';
END
$$;
COMMENT ON FUNCTION check_chunks_within_head() IS
    'Trigger, once per INSERT statement on chunks (or on one of its partitions): every chunk stored belongs to a '
    'stream that exists, on that stream''s day (23503, in place of a foreign key), and lies within the stream''s '
    'head (CR005 gap_free); each stream of the statement is read once.';

ALTER TABLE chunks DROP CONSTRAINT chunks_stream_id_fkey;

-- 3. The head check ran once per stream whose head moved, a PL/pgSQL call and a query each: a
--    group of the node's holds several streams (four on average under the benchmark's steady
--    load), and each call cost about as much as the append's own work for that stream. Checked
--    once per statement over the statement's transition tables instead; the query has no
--    parameters, so PostgreSQL plans it once per session and prunes to each stream's partition as
--    it runs (V18's plan_cache_mode setting, and its cost on every call, are no longer needed).
DROP TRIGGER streams_head_over_chunks ON streams;
ALTER FUNCTION check_head_over_chunks() RESET plan_cache_mode;
CREATE OR REPLACE FUNCTION check_head_over_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wrong record;
BEGIN
    -- Most updates of streams move no head (a watermark, a completion, an expiry): they end here,
    -- without a look at the chunks. Reading the chunks from every update would take locks on
    -- them that retention's partition changes order the other way (the outbox's watermark
    -- statement writes publications first), and the two would deadlock.
    PERFORM FROM new_heads n JOIN old_heads o ON o.stream_id = n.stream_id WHERE n.head_seq <> o.head_seq LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT n.stream_id, o.head_seq AS from_seq, n.head_seq AS to_seq INTO wrong
      FROM new_heads n JOIN old_heads o ON o.stream_id = n.stream_id
     WHERE n.head_seq <> o.head_seq
       AND (SELECT count(*) FROM chunks c
             WHERE c.stream_id = n.stream_id AND c.stream_day = n.created_day
               AND c.seq > o.head_seq AND c.seq <= n.head_seq) <> n.head_seq - o.head_seq
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'chunk_relay.gap_free: the head of stream % moved from % to % without chunks % to % stored in the same statement',
            wrong.stream_id, wrong.from_seq, wrong.to_seq, wrong.from_seq + 1, wrong.to_seq
            USING ERRCODE = 'CR005';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION check_head_over_chunks() IS
    'Trigger, once per UPDATE statement on streams: every head the statement moved moved over exactly the chunks '
    'stored up to it, head + 1 .. new head (CR005 gap_free), checked when the statement ends.';
CREATE TRIGGER streams_head_over_chunks AFTER UPDATE ON streams
    REFERENCING OLD TABLE AS old_heads NEW TABLE AS new_heads
    FOR EACH STATEMENT EXECUTE FUNCTION check_head_over_chunks();
COMMENT ON TRIGGER streams_head_over_chunks ON streams IS
    'A head moves exactly over the chunks stored with it (CR005), checked once per statement when it ends.';
