-- The log's rules, kept by the database itself for whoever connects (the owner included; only
-- disabling the triggers, which takes the owner or a superuser, gets past them, and the hash chain
-- and verifier are what catch that). Each refusal has a SQLSTATE of class CR ("chunk relay") and a
-- message that names its rule:
--   CR001 append_only        chunks, idempotency keys and publication records are never updated or
--                            deleted; producer rows never deleted
--   CR002 no_truncate        the log's tables are never truncated
--   CR003 forward_only       a stream's head and watermark, a producer's epoch and numbers, never go back
--   CR004 completed_is_final a completed stream is never reopened, and its head never moves
--   CR005 gap_free           chunks are stored at head + 1, head + 2, ... of their stream, and the
--                            head moves exactly over the chunks stored with it
--   CR006 ids_never_reused   a stream row is never deleted, so its id never starts again from seq 1
--                            (only the transaction that created an empty row may take it back)
--   CR007 immutable          a row's identity and creation time never change

-- Deleting a stream no longer takes its history with it: a delete is refused while anything
-- refers to the stream (and the trigger below refuses it anyway).
ALTER TABLE chunks DROP CONSTRAINT chunks_stream_id_fkey,
    ADD CONSTRAINT chunks_stream_id_fkey FOREIGN KEY (stream_id) REFERENCES streams (stream_id) ON DELETE RESTRICT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_stream_id_fkey,
    ADD CONSTRAINT idempotency_keys_stream_id_fkey FOREIGN KEY (stream_id) REFERENCES streams (stream_id) ON DELETE RESTRICT;
ALTER TABLE producers DROP CONSTRAINT producers_stream_id_fkey,
    ADD CONSTRAINT producers_stream_id_fkey FOREIGN KEY (stream_id) REFERENCES streams (stream_id) ON DELETE RESTRICT;

COMMENT ON CONSTRAINT chunks_stream_id_fkey ON chunks IS
    'A chunk belongs to a stream that exists; the stream cannot be deleted while it has chunks (RESTRICT).';
COMMENT ON CONSTRAINT idempotency_keys_stream_id_fkey ON idempotency_keys IS
    'A key belongs to a stream that exists; the stream cannot be deleted while it has keys (RESTRICT).';
COMMENT ON CONSTRAINT producers_stream_id_fkey ON producers IS
    'A producer writes to a stream that exists; the stream cannot be deleted while it has producers (RESTRICT).';

CREATE FUNCTION refuse_change_of_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chunk_relay.append_only: % of a row of % refused: the log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CR001',
              HINT = 'Rows of the chunk log are never changed or deleted; whole partitions leave with retention.';
END
$$;
COMMENT ON FUNCTION refuse_change_of_log() IS
    'Trigger: refuses UPDATE and DELETE of chunks, idempotency keys and publications, and DELETE of producers '
    '(CR001 append_only).';

CREATE FUNCTION refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chunk_relay.no_truncate: TRUNCATE of % refused: the log is append-only', TG_TABLE_NAME
        USING ERRCODE = 'CR002';
END
$$;
COMMENT ON FUNCTION refuse_truncate() IS
    'Trigger: refuses TRUNCATE of the log''s tables (CR002 no_truncate).';

CREATE TRIGGER chunks_append_only BEFORE UPDATE OR DELETE ON chunks
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER chunks_no_truncate BEFORE TRUNCATE ON chunks
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER idempotency_keys_append_only BEFORE UPDATE OR DELETE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER idempotency_keys_no_truncate BEFORE TRUNCATE ON idempotency_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER producers_never_deleted BEFORE DELETE ON producers
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER producers_no_truncate BEFORE TRUNCATE ON producers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER streams_no_truncate BEFORE TRUNCATE ON streams
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER publications_append_only BEFORE UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_log();
CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();

COMMENT ON TRIGGER chunks_append_only ON chunks IS 'Chunks are never updated or deleted (CR001).';
COMMENT ON TRIGGER chunks_no_truncate ON chunks IS 'Chunks are never truncated (CR002).';
COMMENT ON TRIGGER idempotency_keys_append_only ON idempotency_keys IS 'Idempotency keys are never updated or deleted (CR001).';
COMMENT ON TRIGGER idempotency_keys_no_truncate ON idempotency_keys IS 'Idempotency keys are never truncated (CR002).';
COMMENT ON TRIGGER producers_never_deleted ON producers IS 'Producer rows are never deleted (CR001).';
COMMENT ON TRIGGER producers_no_truncate ON producers IS 'Producer rows are never truncated (CR002).';
COMMENT ON TRIGGER streams_no_truncate ON streams IS 'Streams are never truncated (CR002).';
COMMENT ON TRIGGER publications_append_only ON publications IS 'Publication records are never updated or deleted (CR001).';
COMMENT ON TRIGGER publications_no_truncate ON publications IS 'Publication records are never truncated (CR002).';

-- A stream's row only ever moves forward.
CREATE FUNCTION guard_stream_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'chunk_relay.immutable: stream %: stream_id and created_at never change', OLD.stream_id
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
COMMENT ON FUNCTION guard_stream_update() IS
    'Trigger: a stream''s id and creation time never change (CR007), its head and watermark never go down (CR003), '
    'and a completed stream stays completed with its head where it was (CR004).';
-- The condition is evaluated for every update (the function, which only raises, runs only when it
-- holds): an append's or the outbox's update of a stream pays for no function call.
CREATE TRIGGER streams_forward_only BEFORE UPDATE ON streams
    FOR EACH ROW
    WHEN (NEW.head_seq < OLD.head_seq OR NEW.published_seq < OLD.published_seq
          OR NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
          OR (OLD.status = 'completed' AND (NEW.status IS DISTINCT FROM OLD.status
              OR NEW.completed_at IS DISTINCT FROM OLD.completed_at OR NEW.head_seq <> OLD.head_seq)))
    EXECUTE FUNCTION guard_stream_update();
COMMENT ON TRIGGER streams_forward_only ON streams IS
    'Heads and watermarks only go up, ids and creation times never change, completed is final (CR003, CR004, CR007).';

-- A stream starts empty: a row inserted with a head would claim chunks that were never stored.
CREATE FUNCTION guard_stream_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.head_seq <> 0 OR NEW.published_seq <> 0 OR NEW.status <> 'open' THEN
        RAISE EXCEPTION 'chunk_relay.gap_free: stream % must start open and empty (head_seq 0, published_seq 0), not at head % (%)',
            NEW.stream_id, NEW.head_seq, NEW.status
            USING ERRCODE = 'CR005';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION guard_stream_insert() IS
    'Trigger: a new stream row starts open with head_seq and published_seq 0 (CR005 gap_free).';
CREATE TRIGGER streams_start_empty BEFORE INSERT ON streams
    FOR EACH ROW EXECUTE FUNCTION guard_stream_insert();
COMMENT ON TRIGGER streams_start_empty ON streams IS
    'A stream starts open and empty; chunks come with its head''s moves (CR005).';

-- A stream row is never deleted: its id would start again from seq 1 and its history would be gone.
-- The one exception: the transaction that created the row may take it back while it holds no chunk
-- (an append refused before it stored anything changes nothing).
CREATE FUNCTION guard_stream_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.head_seq = 0 AND EXISTS (
            SELECT FROM streams s WHERE s.stream_id = OLD.stream_id AND s.xmin = pg_current_xact_id()::xid) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'chunk_relay.ids_never_reused: stream % is never deleted: its id would start again from seq 1', OLD.stream_id
        USING ERRCODE = 'CR006',
              HINT = 'Expired streams stay as rows of their own; only their chunks leave, with retention.';
END
$$;
COMMENT ON FUNCTION guard_stream_delete() IS
    'Trigger: refuses deleting a stream row (CR006 ids_never_reused), except an empty row (head 0) taken back by '
    'the transaction that created it.';
CREATE TRIGGER streams_never_deleted BEFORE DELETE ON streams
    FOR EACH ROW EXECUTE FUNCTION guard_stream_delete();
COMMENT ON TRIGGER streams_never_deleted ON streams IS
    'Stream rows are never deleted, so an id is never reused from seq 1 (CR006).';

-- Gap-free, checked once per statement over all its rows (the node stores a whole group of
-- chunks, and moves their streams' heads, in one statement): no chunk lands beyond its stream's
-- head, and a head that moved moved over exactly the chunks stored up to it.
CREATE FUNCTION check_chunks_within_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    beyond record;
BEGIN
    SELECT n.stream_id, n.seq, s.head_seq INTO beyond
      FROM stored_chunks n LEFT JOIN streams s USING (stream_id)
     WHERE s.head_seq IS NULL OR n.seq > s.head_seq
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'chunk_relay.gap_free: chunk % of stream % is beyond its head (%): chunks are stored at head + 1 with the head moved over them',
            beyond.seq, beyond.stream_id, beyond.head_seq
            USING ERRCODE = 'CR005';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION check_chunks_within_head() IS
    'Trigger (per INSERT statement): refuses chunks stored beyond their stream''s head (CR005 gap_free).';
CREATE TRIGGER chunks_within_head AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS stored_chunks
    FOR EACH STATEMENT EXECUTE FUNCTION check_chunks_within_head();
COMMENT ON TRIGGER chunks_within_head ON chunks IS
    'No chunk lands beyond its stream''s head (CR005), checked once per statement.';

CREATE FUNCTION check_head_over_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM chunks c
         WHERE c.stream_id = NEW.stream_id AND c.seq > OLD.head_seq AND c.seq <= NEW.head_seq)
       <> NEW.head_seq - OLD.head_seq THEN
        RAISE EXCEPTION 'chunk_relay.gap_free: the head of stream % moved from % to % without chunks % to % stored in the same statement',
            NEW.stream_id, OLD.head_seq, NEW.head_seq, OLD.head_seq + 1, NEW.head_seq
            USING ERRCODE = 'CR005';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION check_head_over_chunks() IS
    'Trigger (after a statement that moved a head, for each moved head): the head must move over chunks '
    'head + 1 .. new head, stored in the same statement (CR005 gap_free).';
-- A row trigger with a WHEN condition: the outbox's watermark updates and completes never call it.
CREATE TRIGGER streams_head_over_chunks AFTER UPDATE OF head_seq ON streams
    FOR EACH ROW WHEN (NEW.head_seq IS DISTINCT FROM OLD.head_seq)
    EXECUTE FUNCTION check_head_over_chunks();
COMMENT ON TRIGGER streams_head_over_chunks ON streams IS
    'A head moves exactly over the chunks stored with it (CR005), checked when the statement ends.';

-- A producer's session only moves forward: a lower epoch, or a lower number within the epoch, would
-- let a fenced-off producer write again or a resend be stored twice.
CREATE FUNCTION guard_producer_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.producer_id IS DISTINCT FROM OLD.producer_id
            OR (OLD.owner IS NOT NULL AND NEW.owner IS DISTINCT FROM OLD.owner) THEN
        RAISE EXCEPTION 'chunk_relay.immutable: producer % of stream %: its id, stream and owner never change',
            OLD.producer_id, OLD.stream_id
            USING ERRCODE = 'CR007';
    END IF;
    IF NEW.epoch < OLD.epoch OR NEW.last_stream_seq < OLD.last_stream_seq
            OR (NEW.epoch = OLD.epoch AND NEW.last_seq < OLD.last_seq) THEN
        RAISE EXCEPTION 'chunk_relay.forward_only: producer % of stream %: epoch % -> %, seq % -> % may not go back',
            OLD.producer_id, OLD.stream_id, OLD.epoch, NEW.epoch, OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'CR003';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION guard_producer_update() IS
    'Trigger: a producer''s id, stream and (once set) owner never change (CR007); its epoch, its number within '
    'the epoch and its last stream seq never go down (CR003).';
CREATE TRIGGER producers_forward_only BEFORE UPDATE ON producers
    FOR EACH ROW
    WHEN (NEW.stream_id IS DISTINCT FROM OLD.stream_id OR NEW.producer_id IS DISTINCT FROM OLD.producer_id
          OR (OLD.owner IS NOT NULL AND NEW.owner IS DISTINCT FROM OLD.owner)
          OR NEW.epoch < OLD.epoch OR NEW.last_stream_seq < OLD.last_stream_seq
          OR (NEW.epoch = OLD.epoch AND NEW.last_seq < OLD.last_seq))
    EXECUTE FUNCTION guard_producer_update();
COMMENT ON TRIGGER producers_forward_only ON producers IS
    'A producer''s session only moves forward, its identity never changes (CR003, CR007).';

-- These functions run as whoever triggers them; nobody calls them directly.
REVOKE ALL ON FUNCTION refuse_change_of_log(), refuse_truncate(), guard_stream_update(), guard_stream_insert(),
    guard_stream_delete(),
    check_chunks_within_head(), check_head_over_chunks(), guard_producer_update() FROM PUBLIC;
