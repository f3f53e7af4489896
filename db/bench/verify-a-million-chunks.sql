-- How long verify_log() takes on a million chunks (docs/PERFORMANCE.md): in a scratch schema of its
-- own, 1,000 streams x 1,000 chunks of ~40 bytes stored as the node stores them (heads moved over
-- them, linked into their chains), then the verifier, timed, twice. Run as a superuser against a
-- migrated scratch schema, e.g.:
--   psql -v schema=verify_bench -f db/bench/verify-a-million-chunks.sql
-- after `java -jar target/chunk-relay.jar migrate` with CHUNK_RELAY_DB_URL=...?currentSchema=verify_bench.
\set ON_ERROR_STOP on
SET search_path = :"schema";
\timing on
INSERT INTO streams (stream_id, head_seq, published_seq, status, created_at, updated_at)
SELECT 'bench-' || i, 0, 0, 'open', now(), now() FROM generate_series(1, 1000) i;
WITH moved AS (UPDATE streams SET head_seq = head_seq + 1000 WHERE stream_id LIKE 'bench-%' RETURNING stream_id)
INSERT INTO chunks (stream_id, seq, message_id, content, final, created_at, appended_by, chain)
SELECT stream_id, seq, 'm', 'a few tokens of an AI reply, chunk ' || seq, false, now(), 'bench',
       chain_of(chain_genesis(stream_id), seq, 'm', false, 'a few tokens of an AI reply, chunk ' || seq)
           OVER (PARTITION BY stream_id ORDER BY seq)
  FROM moved, generate_series(1, 1000) seq;
VACUUM ANALYZE chunks;
SELECT count(*) AS chunks FROM chunks;
SELECT count(*) AS problems FROM verify_log();
SELECT count(*) AS problems FROM verify_log();
SELECT count(*) AS problems_in_one_stream FROM verify_log('bench-500');
