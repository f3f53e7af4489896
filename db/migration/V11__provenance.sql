-- Who wrote each chunk, as which producer session, and when the database stored and the outbox
-- published it: every chunk answers these in SQL alone.

-- The authenticated subject, never NULL: under CHUNK_RELAY_AUTH=none the node records 'anonymous';
-- rows written before this migration, which did not record it, say 'unrecorded'.
UPDATE chunks SET appended_by = 'unrecorded' WHERE appended_by IS NULL;
ALTER TABLE chunks ALTER COLUMN appended_by SET NOT NULL;
COMMENT ON COLUMN chunks.appended_by IS
    'The authenticated subject that appended the chunk: the sub claim of the producer''s JWT, or the name of '
    'the container principal (realm, SSO); ''anonymous'' on a node running with CHUNK_RELAY_AUTH=none; '
    '''unrecorded'' for chunks stored before the node recorded it (migration V11).';

-- The idempotent producer's session and number, when the append carried Producer-Id/-Epoch/-Seq.
ALTER TABLE chunks
    ADD COLUMN producer_id varchar(128),
    ADD COLUMN producer_epoch bigint,
    ADD COLUMN producer_seq bigint,
    ADD CONSTRAINT chunks_producer_complete CHECK (
        (producer_id IS NULL) = (producer_epoch IS NULL) AND (producer_id IS NULL) = (producer_seq IS NULL));
COMMENT ON COLUMN chunks.producer_id IS
    'The Producer-Id header of the append that stored the chunk; NULL when the append named no producer.';
COMMENT ON COLUMN chunks.producer_epoch IS 'The producer''s session (Producer-Epoch) that stored the chunk; NULL without a producer.';
COMMENT ON COLUMN chunks.producer_seq IS
    'The chunk''s own number in that session (Producer-Seq of the request plus its place in it); NULL without a producer.';
COMMENT ON CONSTRAINT chunks_producer_complete ON chunks IS
    'A chunk names its producer''s id, epoch and number together, or none of them.';

-- The database's clock, not the node's: when the statement that stored the chunk ran, inside the
-- transaction that committed it (which commits within milliseconds; the runtime role's
-- statement_timeout bounds it). Older rows take the node's clock they were stored with.
ALTER TABLE chunks ADD COLUMN stored_at timestamptz;
UPDATE chunks SET stored_at = created_at;
ALTER TABLE chunks ALTER COLUMN stored_at SET NOT NULL,
    ALTER COLUMN stored_at SET DEFAULT statement_timestamp();
COMMENT ON COLUMN chunks.stored_at IS
    'When the database stored the chunk (database clock: statement_timestamp() of the storing statement, in the '
    'transaction that committed it). created_at is the node''s clock for the same moment.';

-- When each chunk was first known published to Redis: one row per move of a stream's outbox
-- watermark, written with the move. Chunk n of a stream was first published at the published_at of
-- the first row (lowest last_seq) with last_seq >= n.
CREATE TABLE publications (
    stream_id    varchar(128) NOT NULL
                 CONSTRAINT publications_stream_id_fkey REFERENCES streams (stream_id) ON DELETE RESTRICT,
    first_seq    bigint       NOT NULL,
    last_seq     bigint       NOT NULL,
    published_at timestamptz  NOT NULL DEFAULT statement_timestamp(),
    CONSTRAINT publications_pkey PRIMARY KEY (stream_id, last_seq),
    CONSTRAINT publications_range CHECK (first_seq >= 1 AND last_seq >= first_seq)
);
COMMENT ON TABLE publications IS
    'Each move of a stream''s outbox watermark (streams.published_seq): chunks first_seq..last_seq were published '
    'to Redis by published_at. Chunk n was first published at the published_at of the row with the lowest '
    'last_seq >= n. Insert-only.';
COMMENT ON COLUMN publications.stream_id IS 'The stream whose watermark moved.';
COMMENT ON COLUMN publications.first_seq IS 'First seq the move covered (the watermark before it, plus one).';
COMMENT ON COLUMN publications.last_seq IS 'The watermark after the move: chunks up to here are published.';
COMMENT ON COLUMN publications.published_at IS
    'When the node recorded the range published (database clock); the PUBLISH itself happened at most one '
    'watermark flush earlier.';
COMMENT ON CONSTRAINT publications_pkey ON publications IS
    'One row per watermark position of a stream: the watermark only moves up, so each move ends at a new seq.';
COMMENT ON INDEX publications_pkey IS
    'Finds when chunk n was first published: the first row of the stream with last_seq >= n.';
COMMENT ON CONSTRAINT publications_stream_id_fkey ON publications IS
    'A publication belongs to a stream that exists; the stream cannot be deleted while it has any (RESTRICT).';
COMMENT ON CONSTRAINT publications_range ON publications IS 'A range of one or more seqs, from 1 up.';

DO $grants$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON %I.publications TO chunk_relay_runtime', current_schema());
    EXECUTE format('GRANT SELECT ON %I.publications TO chunk_relay_auditor', current_schema());
END
$grants$;
