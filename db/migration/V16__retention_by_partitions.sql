-- Retention by partitions. The log's per-stream tables are split by UTC day, and whole days leave
-- with DROP of their partitions, never with row-by-row DELETE (the append-only triggers stay):
--   chunks, publications   by the day their STREAM was created (streams.created_day), so one
--                          stream's history lives in one partition and never straddles a dropped
--                          boundary; they are kept for the node's CHUNK_RELAY_RETENTION;
--   idempotency_keys       by the day the key was stored,
--   producers              by the day the producer last wrote (a producer's row is carried to the
--                          day's partition by its first write of the day); both kept for the
--                          shorter CHUNK_RELAY_KEY_TTL.
-- A stream whose day left is expired: its row stays (its id is never reused from seq 1), with
-- expired_at set, and reading or appending to it answers 410 stream-expired. A legal hold on a
-- stream keeps its day. maintain_log() (run by every node, one at a time) creates the partitions
-- of the coming days and drops the expired ones.

-- The day a stream's history is filed under: its creation by the database's clock, in UTC.
ALTER TABLE streams ADD COLUMN created_day date GENERATED ALWAYS AS ((stored_at AT TIME ZONE 'UTC')::date) STORED;
COMMENT ON COLUMN streams.created_day IS
    'The UTC day the database created the stream (from stored_at): the partition of chunks and publications '
    'its history is filed under, and the day retention counts from.';
ALTER TABLE streams ADD CONSTRAINT streams_stream_id_created_day_key UNIQUE (stream_id, created_day);
COMMENT ON CONSTRAINT streams_stream_id_created_day_key ON streams IS
    'Lets the partitioned tables refer to a stream together with its day, so no chunk is filed under another day.';
COMMENT ON INDEX streams_stream_id_created_day_key IS 'Backs streams_stream_id_created_day_key.';

ALTER TABLE streams ADD COLUMN expired_at timestamptz;
COMMENT ON COLUMN streams.expired_at IS
    'When retention dropped the stream''s day (maintain_log()): its chunks are gone, the row stays so the id is '
    'never reused, reads and appends answer 410 stream-expired. NULL while its chunks are held.';

-- Expired is final too: its head never moves again, and it never comes back.
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
    IF OLD.expired_at IS NOT NULL AND (NEW.expired_at IS DISTINCT FROM OLD.expired_at
            OR NEW.head_seq <> OLD.head_seq OR NEW.status IS DISTINCT FROM OLD.status) THEN
        RAISE EXCEPTION 'chunk_relay.expired_is_final: stream % expired at %: it never comes back and its head never moves',
            OLD.stream_id, OLD.expired_at
            USING ERRCODE = 'CR008';
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
              OR NEW.completed_at IS DISTINCT FROM OLD.completed_at OR NEW.head_seq <> OLD.head_seq))
          OR (OLD.expired_at IS NOT NULL AND (NEW.expired_at IS DISTINCT FROM OLD.expired_at
              OR NEW.head_seq <> OLD.head_seq OR NEW.status IS DISTINCT FROM OLD.status)))
    EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_forward_only ON streams IS
    'Heads and watermarks only go up, ids and creation times never change, completed and expired are final '
    '(CR003, CR004, CR007, CR008).';
COMMENT ON FUNCTION guard_stream_update() IS
    'Trigger: a stream''s id and creation times never change (CR007), its head and watermark never go down (CR003), '
    'a completed stream stays completed with its head where it was (CR004), an expired one stays expired (CR008).';

-- The policy the nodes last ran retention with, and the floor below which the database refuses it.
CREATE TABLE log_policy (
    only_row      boolean     PRIMARY KEY DEFAULT true CONSTRAINT log_policy_one_row CHECK (only_row),
    min_retention_days integer NOT NULL DEFAULT 1
                  CONSTRAINT log_policy_min_retention_positive CHECK (min_retention_days >= 1),
    retention_days integer,
    key_ttl_days  integer,
    maintained_at timestamptz,
    maintained_by text
);
INSERT INTO log_policy DEFAULT VALUES;
COMMENT ON TABLE log_policy IS
    'One row: the retention the nodes last ran maintain_log() with, and the floor the DBA sets below which '
    'maintain_log() refuses to drop anything (CR009). Only the owner changes min_retention_days.';
COMMENT ON COLUMN log_policy.only_row IS 'Always true: the table has one row.';
COMMENT ON COLUMN log_policy.min_retention_days IS
    'The shortest retention maintain_log() accepts, in days (UPDATE log_policy SET min_retention_days = 365, as the '
    'owner, to make a year the floor whatever the nodes are configured with).';
COMMENT ON COLUMN log_policy.retention_days IS
    'CHUNK_RELAY_RETENTION of the last maintain_log() run, in days; NULL: chunks are kept forever.';
COMMENT ON COLUMN log_policy.key_ttl_days IS 'CHUNK_RELAY_KEY_TTL of the last maintain_log() run, in days.';
COMMENT ON COLUMN log_policy.maintained_at IS 'When maintain_log() last ran to the end.';
COMMENT ON COLUMN log_policy.maintained_by IS 'The role that called it (session_user).';
COMMENT ON CONSTRAINT log_policy_pkey ON log_policy IS 'The table has one row.';
COMMENT ON INDEX log_policy_pkey IS 'Backs log_policy_pkey.';
COMMENT ON CONSTRAINT log_policy_one_row ON log_policy IS 'The table has one row.';
COMMENT ON CONSTRAINT log_policy_min_retention_positive ON log_policy IS 'Retention keeps at least one day.';

-- Streams whose day retention must keep, whatever the policy says.
CREATE TABLE legal_holds (
    stream_id varchar(128) PRIMARY KEY
              CONSTRAINT legal_holds_stream_id_fkey REFERENCES streams (stream_id) ON DELETE RESTRICT,
    reason    text        NOT NULL CONSTRAINT legal_holds_reason_given CHECK (length(trim(reason)) > 0),
    placed_by text        NOT NULL DEFAULT session_user,
    placed_at timestamptz NOT NULL DEFAULT statement_timestamp()
);
COMMENT ON TABLE legal_holds IS
    'Legal holds: while a stream has a row here, maintain_log() keeps its day''s partitions of chunks and '
    'publications (and so every other stream of that day). Placed and released by the owner or a role it grants '
    'INSERT/DELETE to: INSERT INTO legal_holds (stream_id, reason) VALUES (''s1'', ''case 42'').';
COMMENT ON COLUMN legal_holds.stream_id IS 'The held stream.';
COMMENT ON COLUMN legal_holds.reason IS 'Why it is held (a case or ticket reference).';
COMMENT ON COLUMN legal_holds.placed_by IS 'Who placed the hold (session_user).';
COMMENT ON COLUMN legal_holds.placed_at IS 'When the hold was placed (database clock).';
COMMENT ON CONSTRAINT legal_holds_pkey ON legal_holds IS 'One hold per stream.';
COMMENT ON INDEX legal_holds_pkey IS 'Backs legal_holds_pkey.';
COMMENT ON CONSTRAINT legal_holds_stream_id_fkey ON legal_holds IS 'A hold names a stream that exists.';
COMMENT ON CONSTRAINT legal_holds_reason_given ON legal_holds IS 'A hold says why.';

-- The views read the tables about to be replaced; they come back below.
DROP VIEW stream_health;

-- Each table is replaced by a partitioned one with the same columns, constraints, triggers and
-- comments, plus its partition key; the rows move over, and the old table goes.
ALTER TABLE chunks RENAME TO chunks_v15;
ALTER INDEX chunks_pkey RENAME TO chunks_v15_pkey;
ALTER INDEX chunks_created_at RENAME TO chunks_v15_created_at;
ALTER TABLE publications RENAME TO publications_v15;
ALTER INDEX publications_pkey RENAME TO publications_v15_pkey;
ALTER TABLE idempotency_keys RENAME TO idempotency_keys_v15;
ALTER INDEX idempotency_keys_pkey RENAME TO idempotency_keys_v15_pkey;
ALTER TABLE producers RENAME TO producers_v15;
ALTER INDEX producers_pkey RENAME TO producers_v15_pkey;

CREATE TABLE chunks (
    stream_id      varchar(128) NOT NULL,
    seq            bigint       NOT NULL CONSTRAINT chunks_seq_positive CHECK (seq >= 1),
    message_id     varchar(128) NOT NULL,
    content        text         NOT NULL,
    final          boolean      NOT NULL DEFAULT false,
    created_at     timestamptz  NOT NULL,
    appended_by    varchar(255) NOT NULL,
    producer_id    varchar(128),
    producer_epoch bigint,
    producer_seq   bigint,
    stored_at      timestamptz  NOT NULL DEFAULT statement_timestamp(),
    chain          bytea        NOT NULL CONSTRAINT chunks_chain_sha256 CHECK (octet_length(chain) = 32),
    stream_day     date         NOT NULL DEFAULT ((statement_timestamp() AT TIME ZONE 'UTC')::date),
    CONSTRAINT chunks_pkey PRIMARY KEY (stream_id, seq, stream_day),
    CONSTRAINT chunks_stream_id_fkey FOREIGN KEY (stream_id, stream_day)
        REFERENCES streams (stream_id, created_day) ON DELETE RESTRICT,
    CONSTRAINT chunks_producer_complete CHECK (
        (producer_id IS NULL) = (producer_epoch IS NULL) AND (producer_id IS NULL) = (producer_seq IS NULL))
) PARTITION BY RANGE (stream_day);
CREATE INDEX chunks_created_at ON chunks USING brin (created_at) WITH (autosummarize = on);

CREATE TABLE publications (
    stream_id    varchar(128) NOT NULL,
    first_seq    bigint       NOT NULL,
    last_seq     bigint       NOT NULL,
    published_at timestamptz  NOT NULL DEFAULT statement_timestamp(),
    stream_day   date         NOT NULL DEFAULT ((statement_timestamp() AT TIME ZONE 'UTC')::date),
    CONSTRAINT publications_pkey PRIMARY KEY (stream_id, last_seq, stream_day),
    CONSTRAINT publications_stream_id_fkey FOREIGN KEY (stream_id, stream_day)
        REFERENCES streams (stream_id, created_day) ON DELETE RESTRICT,
    CONSTRAINT publications_range CHECK (first_seq >= 1 AND last_seq >= first_seq)
) PARTITION BY RANGE (stream_day);

CREATE TABLE idempotency_keys (
    stream_id       varchar(128) NOT NULL
                    CONSTRAINT idempotency_keys_stream_id_fkey REFERENCES streams (stream_id) ON DELETE RESTRICT,
    idempotency_key varchar(255) NOT NULL,
    request_sha256  bytea        NOT NULL,
    first_seq       bigint       NOT NULL,
    last_seq        bigint       NOT NULL,
    batch           boolean      NOT NULL,
    created_at      timestamptz  NOT NULL,
    created_day     date         NOT NULL DEFAULT ((statement_timestamp() AT TIME ZONE 'UTC')::date),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (stream_id, idempotency_key, created_day),
    CONSTRAINT idempotency_keys_range CHECK (first_seq >= 1 AND last_seq >= first_seq)
) PARTITION BY RANGE (created_day);

CREATE TABLE producers (
    stream_id       varchar(128) NOT NULL
                    CONSTRAINT producers_stream_id_fkey REFERENCES streams (stream_id) ON DELETE RESTRICT,
    producer_id     varchar(128) NOT NULL,
    epoch           bigint       NOT NULL CONSTRAINT producers_epoch_non_negative CHECK (epoch >= 0),
    last_seq        bigint       NOT NULL CONSTRAINT producers_last_seq_non_negative CHECK (last_seq >= 0),
    last_stream_seq bigint       NOT NULL CONSTRAINT producers_last_stream_seq_positive CHECK (last_stream_seq >= 1),
    updated_at      timestamptz  NOT NULL,
    owner           varchar(255),
    active_day      date         NOT NULL DEFAULT ((statement_timestamp() AT TIME ZONE 'UTC')::date),
    CONSTRAINT producers_pkey PRIMARY KEY (stream_id, producer_id, active_day)
) PARTITION BY RANGE (active_day);

-- The comments of the old tables' columns and constraints carry over by name.
DO $comments$
DECLARE
    t text;
    c record;
BEGIN
    FOREACH t IN ARRAY ARRAY['chunks', 'publications', 'idempotency_keys', 'producers'] LOOP
        EXECUTE format('COMMENT ON TABLE %I IS %L', t, obj_description(format('%I', t || '_v15')::regclass, 'pg_class'));
        FOR c IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS text
                   FROM pg_attribute a
                  WHERE a.attrelid = format('%I', t || '_v15')::regclass AND a.attnum > 0 AND NOT a.attisdropped
                    AND col_description(a.attrelid, a.attnum) IS NOT NULL LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', t, c.attname, c.text);
        END LOOP;
        FOR c IN SELECT k.conname, obj_description(k.oid, 'pg_constraint') AS text
                   FROM pg_constraint k
                  WHERE k.conrelid = format('%I', t || '_v15')::regclass
                    AND obj_description(k.oid, 'pg_constraint') IS NOT NULL
                    AND EXISTS (SELECT FROM pg_constraint n WHERE n.conrelid = format('%I', t)::regclass
                                                              AND n.conname = k.conname) LOOP
            EXECUTE format('COMMENT ON CONSTRAINT %I ON %I IS %L', c.conname, t, c.text);
        END LOOP;
    END LOOP;
END
$comments$;

COMMENT ON COLUMN chunks.stream_day IS
    'Partition key: the stream''s created_day (enforced by chunks_stream_id_fkey), so a stream''s chunks are '
    'all in one day''s partition and leave together with retention.';
COMMENT ON CONSTRAINT chunks_pkey ON chunks IS
    'One chunk per stream and seq (stream_day is the stream''s own day, so it adds no second row per seq).';
COMMENT ON INDEX chunks_pkey IS 'Reads a stream''s chunks in seq order, within its day''s partition.';
COMMENT ON CONSTRAINT chunks_stream_id_fkey ON chunks IS
    'A chunk belongs to a stream that exists, filed under that stream''s day; the stream cannot be deleted while '
    'it has chunks (RESTRICT).';
COMMENT ON INDEX chunks_created_at IS
    'BRIN over the append time: lets the outbox relay find the streams appended to recently without an index '
    'on the hot streams row. Summarised as ranges fill (autosummarize) and by the relay before each look-up.';
COMMENT ON COLUMN publications.stream_day IS
    'Partition key: the stream''s created_day, so a stream''s publication records leave with its chunks.';
COMMENT ON CONSTRAINT publications_pkey ON publications IS
    'One row per watermark position of a stream: the watermark only moves up, so each move ends at a new seq.';
COMMENT ON INDEX publications_pkey IS
    'Finds when chunk n was first published: the first row of the stream with last_seq >= n.';
COMMENT ON CONSTRAINT publications_stream_id_fkey ON publications IS
    'A publication belongs to a stream that exists, filed under its day; the stream cannot be deleted while it '
    'has any (RESTRICT).';
COMMENT ON COLUMN idempotency_keys.created_day IS
    'Partition key: the UTC day the key was stored (database clock). The day''s partition is dropped once it is '
    'older than CHUNK_RELAY_KEY_TTL: the key is honoured at least that long.';
COMMENT ON CONSTRAINT idempotency_keys_pkey ON idempotency_keys IS
    'One row per stream and key within a day; across days the node stores a key only where none is held '
    '(checked under the stream''s row lock).';
COMMENT ON INDEX idempotency_keys_pkey IS 'Finds a stream''s key, in each day''s partition.';
COMMENT ON COLUMN producers.active_day IS
    'Partition key: a UTC day the producer wrote on (database clock). Its first write of a day carries its state '
    'to a row of that day; the newest row is its state, older ones leave after CHUNK_RELAY_KEY_TTL, so a producer '
    'idle for longer is forgotten (it starts again at Producer-Seq 0 of a new or the same epoch).';
COMMENT ON CONSTRAINT producers_pkey ON producers IS 'One row per stream, producer and day it wrote on.';
COMMENT ON INDEX producers_pkey IS 'Finds a producer''s rows, newest day first.';
COMMENT ON TABLE producers IS
    'Idempotent producers of each stream (Producer-Id, Producer-Epoch, Producer-Seq headers): the session and '
    'the last chunk number stored, written in the same transaction as the chunks, under the stream row lock. '
    'One row per day the producer wrote on; the newest is its state.';

-- Partitions of a range of days (every table), created where missing. The owner runs it; nodes
-- call it through maintain_log().
CREATE FUNCTION create_log_partitions(first_day date, last_day date) RETURNS integer
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
    'last_day (UTC), each with its TRUNCATE refusal and autovacuum settings; returns how many it created.';

-- Partitions for every day the log already holds, and the days ahead.
SELECT create_log_partitions(
    least((SELECT min(created_day) FROM streams),
          (SELECT min((created_at AT TIME ZONE 'UTC')::date) FROM idempotency_keys_v15),
          (SELECT min((updated_at AT TIME ZONE 'UTC')::date) FROM producers_v15),
          (statement_timestamp() AT TIME ZONE 'UTC')::date),
    (statement_timestamp() AT TIME ZONE 'UTC')::date + 3);

-- The rows move over, each filed under its day. (The triggers come after: these inserts are the
-- log's own rows, checked already.)
INSERT INTO chunks (stream_id, seq, message_id, content, final, created_at, appended_by, producer_id,
                    producer_epoch, producer_seq, stored_at, chain, stream_day)
SELECT c.stream_id, c.seq, c.message_id, c.content, c.final, c.created_at, c.appended_by, c.producer_id,
       c.producer_epoch, c.producer_seq, c.stored_at, c.chain, s.created_day
  FROM chunks_v15 c JOIN streams s USING (stream_id);
INSERT INTO publications (stream_id, first_seq, last_seq, published_at, stream_day)
SELECT p.stream_id, p.first_seq, p.last_seq, p.published_at, s.created_day
  FROM publications_v15 p JOIN streams s USING (stream_id);
INSERT INTO idempotency_keys (stream_id, idempotency_key, request_sha256, first_seq, last_seq, batch, created_at,
                              created_day)
SELECT k.stream_id, k.idempotency_key, k.request_sha256, k.first_seq, k.last_seq, k.batch, k.created_at,
       (k.created_at AT TIME ZONE 'UTC')::date
  FROM idempotency_keys_v15 k;
INSERT INTO producers (stream_id, producer_id, epoch, last_seq, last_stream_seq, updated_at, owner, active_day)
SELECT p.stream_id, p.producer_id, p.epoch, p.last_seq, p.last_stream_seq, p.updated_at, p.owner,
       greatest((p.updated_at AT TIME ZONE 'UTC')::date, (statement_timestamp() AT TIME ZONE 'UTC')::date)
  FROM producers_v15 p;

DROP TABLE chunks_v15, publications_v15, idempotency_keys_v15, producers_v15;

-- The log's triggers, on the new tables (row triggers reach every partition).
CREATE TRIGGER chunks_append_only BEFORE UPDATE OR DELETE ON chunks
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER chunks_no_truncate BEFORE TRUNCATE ON chunks
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER chunks_within_head AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS stored_chunks
    FOR EACH STATEMENT EXECUTE FUNCTION check_chunks_within_head();
CREATE TRIGGER publications_append_only BEFORE UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER idempotency_keys_append_only BEFORE UPDATE OR DELETE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER idempotency_keys_no_truncate BEFORE TRUNCATE ON idempotency_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER producers_never_deleted BEFORE DELETE ON producers
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER producers_no_truncate BEFORE TRUNCATE ON producers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER producers_forward_only BEFORE UPDATE ON producers
    FOR EACH ROW
    WHEN (NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.producer_id IS DISTINCT FROM OLD.producer_id
          OR (OLD.owner IS NOT NULL AND NEW.owner IS DISTINCT FROM OLD.owner)
          OR NEW.epoch < OLD.epoch OR NEW.last_stream_seq < OLD.last_stream_seq
          OR (NEW.epoch = OLD.epoch AND NEW.last_seq < OLD.last_seq))
    EXECUTE FUNCTION guard_producer_update();

COMMENT ON TRIGGER chunks_append_only ON chunks IS 'Chunks are never updated or deleted (CR001).';
COMMENT ON TRIGGER chunks_no_truncate ON chunks IS 'Chunks are never truncated (CR002).';
COMMENT ON TRIGGER chunks_within_head ON chunks IS
    'No chunk lands beyond its stream''s head (CR005), checked once per statement.';
COMMENT ON TRIGGER publications_append_only ON publications IS 'Publication records are never updated or deleted (CR001).';
COMMENT ON TRIGGER publications_no_truncate ON publications IS 'Publication records are never truncated (CR002).';
COMMENT ON TRIGGER idempotency_keys_append_only ON idempotency_keys IS 'Idempotency keys are never updated or deleted (CR001).';
COMMENT ON TRIGGER idempotency_keys_no_truncate ON idempotency_keys IS 'Idempotency keys are never truncated (CR002).';
COMMENT ON TRIGGER producers_never_deleted ON producers IS 'Producer rows are never deleted (CR001).';
COMMENT ON TRIGGER producers_no_truncate ON producers IS 'Producer rows are never truncated (CR002).';
COMMENT ON TRIGGER producers_forward_only ON producers IS
    'A producer''s session only moves forward, its identity never changes (CR003, CR007).';

-- A producer's row of a new day carries its state forward, never back.
CREATE FUNCTION guard_producer_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest record;
BEGIN
    SELECT p.epoch, p.last_seq, p.last_stream_seq, p.owner, p.active_day INTO newest
      FROM producers p
     WHERE p.stream_id = NEW.stream_id AND p.producer_id = NEW.producer_id AND p.active_day < NEW.active_day
     ORDER BY p.active_day DESC LIMIT 1;
    IF FOUND AND (NEW.epoch < newest.epoch OR NEW.last_stream_seq < newest.last_stream_seq
                  OR (NEW.epoch = newest.epoch AND NEW.last_seq < newest.last_seq)) THEN
        RAISE EXCEPTION 'chunk_relay.forward_only: producer % of stream %: epoch % -> %, seq % -> % may not go back',
            NEW.producer_id, NEW.stream_id, newest.epoch, NEW.epoch, newest.last_seq, NEW.last_seq
            USING ERRCODE = 'CR003';
    END IF;
    IF FOUND AND newest.owner IS NOT NULL AND NEW.owner IS DISTINCT FROM newest.owner THEN
        RAISE EXCEPTION 'chunk_relay.immutable: producer % of stream %: its owner never changes', NEW.producer_id, NEW.stream_id
            USING ERRCODE = 'CR007';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION guard_producer_insert() IS
    'Trigger: a producer''s row for a new day starts where its previous day''s row ended, never behind it (CR003), '
    'and keeps its owner (CR007).';
CREATE TRIGGER producers_carried_forward BEFORE INSERT ON producers
    FOR EACH ROW EXECUTE FUNCTION guard_producer_insert();
COMMENT ON TRIGGER producers_carried_forward ON producers IS
    'A producer''s state carried to a new day''s row only moves forward (CR003, CR007).';

-- The head check finds the chunks in the stream's own partition.
CREATE OR REPLACE FUNCTION check_head_over_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM chunks c
         WHERE c.stream_id = NEW.stream_id AND c.stream_day = NEW.created_day
           AND c.seq > OLD.head_seq AND c.seq <= NEW.head_seq)
       <> NEW.head_seq - OLD.head_seq THEN
        RAISE EXCEPTION 'chunk_relay.gap_free: the head of stream % moved from % to % without chunks % to % stored in the same statement',
            NEW.stream_id, OLD.head_seq, NEW.head_seq, OLD.head_seq + 1, NEW.head_seq
            USING ERRCODE = 'CR005';
    END IF;
    RETURN NULL;
END
$$;

-- The outbox relay's BRIN summaries, partition by partition (the function keeps its owner, grants
-- and comment).
DO $summarize$
BEGIN
    EXECUTE format($fn$
        CREATE OR REPLACE FUNCTION %1$I.summarize_new_chunks() RETURNS integer
            LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS %2$L
        $fn$, current_schema(),
        format('SELECT coalesce(sum(brin_summarize_new_values(t.relid)), 0)::integer'
               ' FROM pg_partition_tree(%L::regclass) t WHERE t.isleaf',
               format('%I.chunks_created_at', current_schema())));
END
$summarize$;
COMMENT ON FUNCTION summarize_new_chunks() IS
    'Summarises the chunk pages the BRIN index chunks_created_at (each partition''s) does not cover yet '
    '(brin_summarize_new_values, which needs the index''s owner): runs as the owner (SECURITY DEFINER) for the '
    'outbox relay, which runs as chunk_relay_runtime. Returns how many page ranges it summarised.';

DROP VIEW outbox_lag;
CREATE VIEW outbox_lag AS
SELECT s.stream_id,
       s.head_seq,
       s.published_seq,
       s.head_seq - s.published_seq AS unpublished_chunks,
       extract(epoch FROM now() - s.updated_at)::double precision AS unpublished_seconds
  FROM streams s
 WHERE s.published_seq < s.head_seq AND s.expired_at IS NULL;
COMMENT ON VIEW outbox_lag IS
    'Streams with committed chunks not yet known published to Redis, and for how long: the outbox relay''s '
    'backlog (expired streams have nothing left to publish). A row that stays for more than a few seconds means '
    'no node is relaying (see the relay''s advisory lock in docs/DBA.md).';
COMMENT ON COLUMN outbox_lag.stream_id IS 'The stream.';
COMMENT ON COLUMN outbox_lag.head_seq IS 'Seq of the last committed chunk.';
COMMENT ON COLUMN outbox_lag.published_seq IS 'Outbox watermark.';
COMMENT ON COLUMN outbox_lag.unpublished_chunks IS 'head_seq - published_seq.';
COMMENT ON COLUMN outbox_lag.unpublished_seconds IS 'Seconds since the stream''s last change.';

CREATE VIEW stream_health AS
SELECT s.stream_id,
       s.status,
       s.head_seq,
       s.published_seq,
       s.head_seq - s.published_seq AS unpublished_chunks,
       CASE WHEN s.published_seq < s.head_seq AND s.expired_at IS NULL
            THEN extract(epoch FROM now() - s.updated_at)::double precision END AS unpublished_seconds,
       s.created_at,
       s.updated_at,
       s.completed_at,
       extract(epoch FROM now() - s.created_at)::double precision AS age_seconds,
       (SELECT count(DISTINCT p.producer_id) FROM producers p WHERE p.stream_id = s.stream_id) AS producers,
       h.appended_by AS last_writer,
       h.stored_at AS last_stored_at,
       CASE WHEN s.expired_at IS NULL THEN encode(coalesce(h.chain, chain_genesis(s.stream_id)), 'hex') END AS head_chain,
       s.created_day,
       s.expired_at,
       EXISTS (SELECT FROM legal_holds l WHERE l.stream_id = s.stream_id) AS legal_hold
  FROM streams s
  LEFT JOIN chunks h ON h.stream_id = s.stream_id AND h.stream_day = s.created_day AND h.seq = s.head_seq;
COMMENT ON VIEW stream_health IS
    'One row per stream: its head, watermark and how far the outbox is behind, status, age, how many idempotent '
    'producers wrote to it, who wrote its last chunk and when, the head''s hash chain link, and its retention.';
COMMENT ON COLUMN stream_health.stream_id IS 'The stream.';
COMMENT ON COLUMN stream_health.status IS 'open or completed.';
COMMENT ON COLUMN stream_health.head_seq IS 'Seq of the last committed chunk.';
COMMENT ON COLUMN stream_health.published_seq IS 'Outbox watermark: chunks up to here are known published.';
COMMENT ON COLUMN stream_health.unpublished_chunks IS 'Chunks committed but not yet known published (head_seq - published_seq).';
COMMENT ON COLUMN stream_health.unpublished_seconds IS 'Seconds since the stream last changed while chunks are unpublished; NULL when none are (or it expired).';
COMMENT ON COLUMN stream_health.created_at IS 'When the stream was created (node clock).';
COMMENT ON COLUMN stream_health.updated_at IS 'When the stream last changed (node clock).';
COMMENT ON COLUMN stream_health.completed_at IS 'When it was completed; NULL while open.';
COMMENT ON COLUMN stream_health.age_seconds IS 'Seconds since the stream was created (now() - created_at).';
COMMENT ON COLUMN stream_health.producers IS 'Idempotent producers (Producer-Id) of the stream whose state is still held.';
COMMENT ON COLUMN stream_health.last_writer IS 'appended_by of the head chunk; NULL before the first chunk and once expired.';
COMMENT ON COLUMN stream_health.last_stored_at IS 'When the database stored the head chunk; NULL before the first chunk and once expired.';
COMMENT ON COLUMN stream_health.head_chain IS 'The head''s hash chain link (hex); the genesis before the first chunk; NULL once expired.';
COMMENT ON COLUMN stream_health.created_day IS 'The UTC day its history is filed under (retention counts from it).';
COMMENT ON COLUMN stream_health.expired_at IS 'When retention dropped its chunks; NULL while they are held.';
COMMENT ON COLUMN stream_health.legal_hold IS 'True while a legal hold keeps its day.';

-- Per day: what the log holds, and when retention drops it.
CREATE VIEW retention_state AS
WITH days AS (
    SELECT t.relname::text AS partition_name,
           (regexp_match(t.relname, '^(chunks|publications|idempotency_keys|producers)_p(\d{8})$'))[1] AS table_name,
           to_date((regexp_match(t.relname, '_p(\d{8})$'))[1], 'YYYYMMDD') AS day,
           t.oid
      FROM pg_class t
      JOIN pg_inherits i ON i.inhrelid = t.oid
      JOIN pg_class parent ON parent.oid = i.inhparent
     WHERE parent.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'streams'::regclass)
       AND parent.relname IN ('chunks', 'publications', 'idempotency_keys', 'producers')
)
SELECT d.day,
       d.table_name,
       d.partition_name,
       greatest(c.reltuples, 0)::bigint AS estimated_rows,
       pg_total_relation_size(d.oid) AS bytes,
       CASE WHEN d.table_name IN ('chunks', 'publications')
            THEN (SELECT count(*) FROM streams s WHERE s.created_day = d.day) END AS streams,
       CASE WHEN d.table_name IN ('chunks', 'publications')
            THEN (SELECT count(*) FROM legal_holds l JOIN streams s USING (stream_id) WHERE s.created_day = d.day)
       END AS held_streams,
       CASE WHEN d.table_name IN ('chunks', 'publications') THEN d.day + p.retention_days + 1
            ELSE d.day + p.key_ttl_days + 1 END AS drops_on
  FROM days d
  JOIN pg_class c ON c.oid = d.oid
 CROSS JOIN log_policy p;
COMMENT ON VIEW retention_state IS
    'One row per daily partition of the log: its day, table, size, the streams filed under it and how many are on '
    'legal hold, and the UTC day maintain_log() drops it under the policy the nodes last ran with (NULL: kept).';
COMMENT ON COLUMN retention_state.day IS 'The UTC day the partition holds.';
COMMENT ON COLUMN retention_state.table_name IS 'chunks, publications, idempotency_keys or producers.';
COMMENT ON COLUMN retention_state.partition_name IS 'The partition (a table of its own, for a backup or a restore).';
COMMENT ON COLUMN retention_state.estimated_rows IS 'Rows, as of the last ANALYZE (reltuples).';
COMMENT ON COLUMN retention_state.bytes IS 'Size on disk, indexes and TOAST included.';
COMMENT ON COLUMN retention_state.streams IS 'Streams created that day (chunks and publications only).';
COMMENT ON COLUMN retention_state.held_streams IS 'Of those, streams on legal hold: while any is, the day is kept.';
COMMENT ON COLUMN retention_state.drops_on IS
    'The first UTC day maintain_log() may drop it (day + retention + 1; keys and producers: day + key TTL + 1); '
    'NULL when retention is forever or no node has run it yet.';

-- The verifier leaves expired streams out (their chunks left with retention, by design) and finds
-- a stream's rows in its own partition.
CREATE OR REPLACE FUNCTION verify_log(only_stream varchar DEFAULT NULL)
    RETURNS TABLE (stream_id varchar, seq bigint, problem text, detail text)
    LANGUAGE sql STABLE
AS $$
WITH chosen AS (
    SELECT s.* FROM streams s
     WHERE (only_stream IS NULL OR s.stream_id = only_stream) AND s.expired_at IS NULL
), linked AS (
    SELECT c.stream_id, c.seq, c.chain, c.message_id, c.final, c.content,
           lag(c.seq) OVER w AS previous_seq, lag(c.chain) OVER w AS previous_chain
      FROM chunks c
     WHERE only_stream IS NULL OR c.stream_id = only_stream
    WINDOW w AS (PARTITION BY c.stream_id ORDER BY c.seq)
), tails AS (
    SELECT l.stream_id, max(l.seq) AS last_seq FROM linked l GROUP BY l.stream_id
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
  FROM tails t JOIN streams s ON s.stream_id = t.stream_id
 WHERE t.last_seq > s.head_seq
UNION ALL
SELECT t.stream_id, NULL, 'no-stream', 'chunks are stored for a stream that has no row'
  FROM tails t
 WHERE NOT EXISTS (SELECT FROM streams s WHERE s.stream_id = t.stream_id)
UNION ALL
SELECT t.stream_id, NULL, 'expired-with-chunks',
       format('the stream expired at %s but chunks of it are still stored (a partition restored without the stream''s expiry undone?)',
              s.expired_at)
  FROM tails t JOIN streams s ON s.stream_id = t.stream_id
 WHERE s.expired_at IS NOT NULL
UNION ALL
SELECT s.stream_id, NULL, 'reused-id',
       format('the stream row was created at %s, after rows of the stream stored at %s: the id was deleted and created again',
              s.stored_at, older.at)
  FROM chosen s
 CROSS JOIN LATERAL (
        SELECT min(x.at) AS at FROM (
            SELECT min(c.stored_at) AS at FROM chunks c WHERE c.stream_id = s.stream_id AND c.stream_day = s.created_day
            UNION ALL SELECT min(p.published_at) FROM publications p
                       WHERE p.stream_id = s.stream_id AND p.stream_day = s.created_day
        ) x) older
 WHERE older.at < s.stored_at
ORDER BY 1, 2 NULLS FIRST, 3
$$;
COMMENT ON FUNCTION verify_log(varchar) IS
    'Checks the log (every stream, or only_stream) and returns one row per problem, nothing when it is healthy: '
    'hole (chunks missing between two stored ones), hash-mismatch (a row whose chain link does not follow from its '
    'content and predecessor: altered), missing-tail (head_seq beyond the last chunk), beyond-head (chunks after '
    'head_seq), no-stream (chunks of a stream without a row), expired-with-chunks (chunks of a stream retention '
    'expired), reused-id (rows of the stream older than the stream row: deleted and created again). Streams '
    'retention expired are otherwise left out: their chunks left by design.';

-- Retention, run by the nodes (as the owner, through SECURITY DEFINER): creates the partitions of
-- today and the next days_ahead days, then drops the days past the policy. One caller at a time per
-- schema (a transaction-level advisory lock; another caller returns at once). Each drop waits at most
-- lock_timeout for the appends and reads using the table; a day not dropped now is dropped next time.
CREATE FUNCTION maintain_log(retention_days integer, key_ttl_days integer, days_ahead integer DEFAULT 3)
    RETURNS TABLE (action text, partition_name text, day date, expired_streams bigint)
    LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE
    today date := (statement_timestamp() AT TIME ZONE 'UTC')::date;
    floor_days integer;
    part record;
    expired bigint;
BEGIN
    IF key_ttl_days IS NULL OR key_ttl_days < 1 THEN
        RAISE EXCEPTION 'chunk_relay.retention_floor: the key TTL must be at least 1 day, not %', key_ttl_days
            USING ERRCODE = 'CR009';
    END IF;
    SELECT min_retention_days INTO floor_days FROM log_policy;
    IF retention_days IS NOT NULL AND retention_days < floor_days THEN
        RAISE EXCEPTION 'chunk_relay.retention_floor: a retention of % days is below the floor of % days this database keeps',
            retention_days, floor_days
            USING ERRCODE = 'CR009',
                  HINT = 'log_policy.min_retention_days is set by the owner; configure CHUNK_RELAY_RETENTION at or above it.';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtextextended('chunk_relay.maintain_log:' || current_schema(), 0)) THEN
        action := 'busy'; RETURN NEXT; RETURN;
    END IF;
    SET LOCAL lock_timeout = '2s';

    IF create_log_partitions(today, today + days_ahead) > 0 THEN
        FOR part IN SELECT generate_series(today, today + days_ahead, interval '1 day')::date AS d LOOP
            action := 'ensured'; partition_name := NULL; day := part.d; expired_streams := NULL; RETURN NEXT;
        END LOOP;
    END IF;

    FOR part IN
        SELECT r.partition_name, r.table_name, r.day FROM retention_state r
         WHERE (r.table_name IN ('chunks', 'publications') AND retention_days IS NOT NULL
                AND r.day < today - retention_days)
            OR (r.table_name IN ('idempotency_keys', 'producers') AND r.day < today - key_ttl_days)
         ORDER BY r.day, r.table_name
    LOOP
        IF part.table_name IN ('chunks', 'publications') THEN
            IF EXISTS (SELECT FROM legal_holds l JOIN streams s USING (stream_id) WHERE s.created_day = part.day) THEN
                action := 'held'; partition_name := part.partition_name; day := part.day; expired_streams := NULL;
                RETURN NEXT;
                CONTINUE;
            END IF;
            UPDATE streams s SET expired_at = statement_timestamp()
             WHERE s.created_day = part.day AND s.expired_at IS NULL;
            GET DIAGNOSTICS expired = ROW_COUNT;
        ELSE
            expired := NULL;
        END IF;
        EXECUTE format('DROP TABLE %I', part.partition_name);
        action := 'dropped'; partition_name := part.partition_name; day := part.day; expired_streams := expired;
        RETURN NEXT;
    END LOOP;

    UPDATE log_policy SET retention_days = maintain_log.retention_days, key_ttl_days = maintain_log.key_ttl_days,
                          maintained_at = statement_timestamp(), maintained_by = session_user;
END
$$;
COMMENT ON FUNCTION maintain_log(integer, integer, integer) IS
    'Retention (runs as the owner; nodes call it hourly): creates the daily partitions of today and days_ahead '
    'more, marks the streams of each day older than retention_days expired and drops that day''s chunks and '
    'publications partitions (not while a stream of the day is on legal hold; NULL: keep forever), and drops '
    'idempotency_keys and producers partitions older than key_ttl_days. Refuses a retention below '
    'log_policy.min_retention_days (CR009). Returns one row per action: ensured, dropped, held, or busy (another '
    'caller is running it).';

-- SECURITY DEFINER functions run with this schema first, whatever the caller's search_path; and
-- only the node's role (and the owner) may call them.
DO $grants$
DECLARE
    schema_name text := current_schema();
BEGIN
    EXECUTE format('ALTER FUNCTION %I.maintain_log(integer, integer, integer) SET search_path = %I, pg_temp',
                   schema_name, schema_name);
    EXECUTE format('REVOKE ALL ON FUNCTION %I.maintain_log(integer, integer, integer), %I.create_log_partitions(date, date),'
                   ' %I.guard_producer_insert() FROM PUBLIC', schema_name, schema_name, schema_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.maintain_log(integer, integer, integer) TO chunk_relay_runtime',
                   schema_name);

    EXECUTE format('GRANT SELECT, INSERT ON %I.chunks, %I.publications, %I.idempotency_keys TO chunk_relay_runtime',
                   schema_name, schema_name, schema_name);
    EXECUTE format('GRANT SELECT, INSERT ON %I.producers TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT UPDATE (epoch, last_seq, last_stream_seq, updated_at, owner) ON %I.producers'
                   ' TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT SELECT ON %I.log_policy, %I.legal_holds TO chunk_relay_runtime', schema_name, schema_name);

    EXECUTE format('GRANT SELECT ON %I.chunks, %I.publications, %I.idempotency_keys, %I.producers, %I.log_policy,'
                   ' %I.legal_holds, %I.retention_state, %I.stream_health, %I.outbox_lag TO chunk_relay_auditor',
                   schema_name, schema_name, schema_name, schema_name, schema_name, schema_name, schema_name,
                   schema_name, schema_name);
    EXECUTE format('GRANT SELECT ON %I.stream_health, %I.outbox_lag, %I.retention_state TO chunk_relay_runtime',
                   schema_name, schema_name, schema_name);
END
$grants$;
