-- Audit in SQL alone: views a DBA (or chunk_relay_auditor) reads, and a verifier that returns one
-- row per problem in the log and nothing when it is healthy.

-- When the database created each stream row, by its own clock (created_at is the node's): the
-- verifier compares it with the database times of the stream's other rows.
ALTER TABLE streams ADD COLUMN stored_at timestamptz;
UPDATE streams SET stored_at = created_at;
ALTER TABLE streams ALTER COLUMN stored_at SET NOT NULL,
    ALTER COLUMN stored_at SET DEFAULT statement_timestamp();
COMMENT ON COLUMN streams.stored_at IS
    'When the database created the row (database clock, statement_timestamp()); created_at is the node''s clock. '
    'No row of the stream in another table is older: verify_log() reports one that is as reused-id.';

-- The stream guard keeps it as it keeps created_at.
CREATE OR REPLACE FUNCTION guard_stream_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
            OR NEW.stored_at IS DISTINCT FROM OLD.stored_at THEN
        RAISE EXCEPTION 'chunk_relay.immutable: stream %: stream_id, created_at and stored_at never change', OLD.stream_id
            USING ERRCODE = 'CR007';
    END IF;
    IF NEW.head_seq < OLD.head_seq OR NEW.published_seq < OLD.published_seq THEN
        RAISE EXCEPTION 'chunk_relay.forward_only: stream %: head_seq % -> % and published_seq % -> % may not go down',
            OLD.stream_id, OLD.head_seq, NEW.head_seq, OLD.published_seq, NEW.published_seq
            USING ERRCODE = 'CR003';
    END IF;
    IF OLD.status = 'completed' AND (NEW.status IS DISTINCT FROM OLD.status
            OR NEW.completed_at IS DISTINCT FROM OLD.completed_at OR NEW.head_seq <> OLD.head_seq) THEN
        RAISE EXCEPTION 'chunk_relay.completed_is_final: stream % was completed at %: it is never reopened and its head never moves',
            OLD.stream_id, OLD.completed_at
            USING ERRCODE = 'CR004';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER streams_forward_only ON streams;
CREATE TRIGGER streams_forward_only BEFORE UPDATE ON streams
    FOR EACH ROW
    WHEN (NEW.head_seq < OLD.head_seq OR NEW.published_seq < OLD.published_seq
          OR NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
          OR NEW.stored_at IS DISTINCT FROM OLD.stored_at
          OR (OLD.status = 'completed' AND (NEW.status IS DISTINCT FROM OLD.status
              OR NEW.completed_at IS DISTINCT FROM OLD.completed_at OR NEW.head_seq <> OLD.head_seq)))
    EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_forward_only ON streams IS
    'Heads and watermarks only go up, ids and creation times never change, completed is final (CR003, CR004, CR007).';
COMMENT ON FUNCTION guard_stream_update() IS
    'Trigger: a stream''s id and creation times never change (CR007), its head and watermark never go down (CR003), '
    'and a completed stream stays completed with its head where it was (CR004).';

CREATE VIEW stream_health AS
SELECT s.stream_id,
       s.status,
       s.head_seq,
       s.published_seq,
       s.head_seq - s.published_seq AS unpublished_chunks,
       CASE WHEN s.published_seq < s.head_seq
            THEN extract(epoch FROM now() - s.updated_at)::double precision END AS unpublished_seconds,
       s.created_at,
       s.updated_at,
       s.completed_at,
       extract(epoch FROM now() - s.created_at)::double precision AS age_seconds,
       (SELECT count(*) FROM producers p WHERE p.stream_id = s.stream_id) AS producers,
       h.appended_by AS last_writer,
       h.stored_at AS last_stored_at,
       encode(coalesce(h.chain, chain_genesis(s.stream_id)), 'hex') AS head_chain
  FROM streams s
  LEFT JOIN chunks h ON h.stream_id = s.stream_id AND h.seq = s.head_seq;
COMMENT ON VIEW stream_health IS
    'One row per stream: its head, watermark and how far the outbox is behind, status, age, how many idempotent '
    'producers wrote to it, who wrote its last chunk and when, and the head''s hash chain link.';
COMMENT ON COLUMN stream_health.stream_id IS 'The stream.';
COMMENT ON COLUMN stream_health.status IS 'open or completed.';
COMMENT ON COLUMN stream_health.head_seq IS 'Seq of the last committed chunk.';
COMMENT ON COLUMN stream_health.published_seq IS 'Outbox watermark: chunks up to here are known published.';
COMMENT ON COLUMN stream_health.unpublished_chunks IS 'Chunks committed but not yet known published (head_seq - published_seq).';
COMMENT ON COLUMN stream_health.unpublished_seconds IS 'Seconds since the stream last changed while chunks are unpublished; NULL when none are.';
COMMENT ON COLUMN stream_health.created_at IS 'When the stream was created (node clock).';
COMMENT ON COLUMN stream_health.updated_at IS 'When the stream last changed (node clock).';
COMMENT ON COLUMN stream_health.completed_at IS 'When it was completed; NULL while open.';
COMMENT ON COLUMN stream_health.age_seconds IS 'Seconds since the stream was created (now() - created_at).';
COMMENT ON COLUMN stream_health.producers IS 'Idempotent producers (Producer-Id) that wrote to the stream.';
COMMENT ON COLUMN stream_health.last_writer IS 'appended_by of the head chunk; NULL before the first chunk.';
COMMENT ON COLUMN stream_health.last_stored_at IS 'When the database stored the head chunk; NULL before the first chunk.';
COMMENT ON COLUMN stream_health.head_chain IS 'The head''s hash chain link (hex); the genesis before the first chunk.';

CREATE VIEW outbox_lag AS
SELECT s.stream_id,
       s.head_seq,
       s.published_seq,
       s.head_seq - s.published_seq AS unpublished_chunks,
       extract(epoch FROM now() - s.updated_at)::double precision AS unpublished_seconds
  FROM streams s
 WHERE s.published_seq < s.head_seq;
COMMENT ON VIEW outbox_lag IS
    'Streams with committed chunks not yet known published to Redis, and for how long: the outbox relay''s '
    'backlog. A row that stays for more than a few seconds means no node is relaying (see the relay''s advisory '
    'lock in docs/DBA.md).';
COMMENT ON COLUMN outbox_lag.stream_id IS 'The stream.';
COMMENT ON COLUMN outbox_lag.head_seq IS 'Seq of the last committed chunk.';
COMMENT ON COLUMN outbox_lag.published_seq IS 'Outbox watermark.';
COMMENT ON COLUMN outbox_lag.unpublished_chunks IS 'head_seq - published_seq.';
COMMENT ON COLUMN outbox_lag.unpublished_seconds IS 'Seconds since the stream''s last change.';

-- One row per problem; nothing when the log is healthy. Each chunk's link is checked against its
-- own predecessor's stored link, so an altered row is named alone, not with every row after it.
CREATE FUNCTION verify_log(only_stream varchar DEFAULT NULL)
    RETURNS TABLE (stream_id varchar, seq bigint, problem text, detail text)
    LANGUAGE sql STABLE
AS $$
WITH linked AS (
    SELECT c.stream_id, c.seq, c.chain, c.message_id, c.final, c.content,
           lag(c.seq) OVER w AS previous_seq, lag(c.chain) OVER w AS previous_chain
      FROM chunks c
     WHERE only_stream IS NULL OR c.stream_id = only_stream
    WINDOW w AS (PARTITION BY c.stream_id ORDER BY c.seq)
), tails AS (
    SELECT l.stream_id, max(l.seq) AS last_seq FROM linked l GROUP BY l.stream_id
), chosen AS (
    SELECT s.* FROM streams s WHERE only_stream IS NULL OR s.stream_id = only_stream
)
SELECT l.stream_id, l.seq, 'hole',
       format('seqs %s to %s are missing', coalesce(l.previous_seq, 0) + 1, l.seq - 1)
  FROM linked l
 WHERE l.seq <> coalesce(l.previous_seq, 0) + 1
UNION ALL
SELECT l.stream_id, l.seq, 'hash-mismatch',
       'the stored link is not the hash of the chunk and its predecessor''s link: the row was altered'
  FROM linked l
 WHERE l.seq = coalesce(l.previous_seq, 0) + 1
   AND l.chain IS DISTINCT FROM chain_link(CASE WHEN l.seq = 1 THEN chain_genesis(l.stream_id) ELSE l.previous_chain END,
                                           l.seq, l.message_id, l.final, l.content)
UNION ALL
SELECT s.stream_id, s.head_seq, 'missing-tail',
       format('head_seq is %s but the last chunk is %s', s.head_seq, coalesce(t.last_seq, 0))
  FROM chosen s LEFT JOIN tails t ON t.stream_id = s.stream_id
 WHERE coalesce(t.last_seq, 0) < s.head_seq
UNION ALL
SELECT t.stream_id, t.last_seq, 'beyond-head',
       format('chunks up to %s are stored but head_seq is %s', t.last_seq, s.head_seq)
  FROM tails t JOIN chosen s ON s.stream_id = t.stream_id
 WHERE t.last_seq > s.head_seq
UNION ALL
SELECT t.stream_id, NULL, 'no-stream', 'chunks are stored for a stream that has no row'
  FROM tails t
 WHERE NOT EXISTS (SELECT FROM streams s WHERE s.stream_id = t.stream_id)
UNION ALL
SELECT s.stream_id, NULL, 'reused-id',
       format('the stream row was created at %s, after rows of the stream stored at %s: the id was deleted and created again',
              s.stored_at, older.at)
  FROM chosen s
 CROSS JOIN LATERAL (
        SELECT min(x.at) AS at FROM (
            SELECT min(c.stored_at) AS at FROM chunks c WHERE c.stream_id = s.stream_id
            UNION ALL SELECT min(p.published_at) FROM publications p WHERE p.stream_id = s.stream_id
        ) x) older
 WHERE older.at < s.stored_at
ORDER BY 1, 2 NULLS FIRST, 3
$$;
COMMENT ON FUNCTION verify_log(varchar) IS
    'Checks the log (every stream, or only_stream) and returns one row per problem, nothing when it is healthy: '
    'hole (chunks missing between two stored ones), hash-mismatch (a row whose chain link does not follow from its '
    'content and predecessor: altered), missing-tail (head_seq beyond the last chunk), beyond-head (chunks after '
    'head_seq), no-stream (chunks of a stream without a row), reused-id (rows of the stream older than the stream '
    'row: deleted and created again).';

REVOKE ALL ON FUNCTION verify_log(varchar) FROM PUBLIC;
DO $grants$
BEGIN
    -- The runtime role too: nodes serve the audit API (GET /api/audit/streams) to callers with the
    -- audit scope.
    EXECUTE format('GRANT SELECT ON %I.stream_health, %I.outbox_lag TO chunk_relay_auditor, chunk_relay_runtime',
                   current_schema(), current_schema());
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.verify_log(varchar) TO chunk_relay_auditor, chunk_relay_runtime',
                   current_schema());
END
$grants$;
