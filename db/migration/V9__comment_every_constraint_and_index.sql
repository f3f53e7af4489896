-- A DBA reads what every rule of the log means where the rule is: every table, column, constraint
-- and index of the schema carries a comment (SchemaCommentsIT keeps it so for later migrations).

COMMENT ON COLUMN cluster_keys.name IS 'Which key: fanout (the only one a node knows).';
COMMENT ON COLUMN cluster_keys.created_at IS 'When the first node that needed the key generated it (database clock).';

COMMENT ON CONSTRAINT streams_pkey ON streams IS
    'One row per stream id: the stream''s head, watermark and status.';
COMMENT ON CONSTRAINT streams_stream_id_grammar ON streams IS
    'Stream ids are 1-128 characters of [A-Za-z0-9._:-], the grammar the API enforces (invalid-stream-id).';
COMMENT ON CONSTRAINT streams_head_seq_non_negative ON streams IS
    'head_seq is the seq of the last chunk, 0 before the first.';
COMMENT ON CONSTRAINT streams_published_within_head ON streams IS
    'The outbox watermark never passes the head: nothing is published before it is committed.';
COMMENT ON CONSTRAINT streams_status_known ON streams IS
    'A stream is open (takes appends) or completed (takes none).';
COMMENT ON CONSTRAINT streams_completed_at_iff_completed ON streams IS
    'completed_at is set exactly when the stream is completed.';

COMMENT ON CONSTRAINT chunks_pkey ON chunks IS
    'One chunk per stream and seq: a seq is never given twice (promise 2), and a reader pages by it.';
COMMENT ON CONSTRAINT chunks_seq_positive ON chunks IS 'Seqs start at 1.';
COMMENT ON CONSTRAINT chunks_stream_id_fkey ON chunks IS 'Every chunk belongs to a stream row.';

COMMENT ON CONSTRAINT idempotency_keys_pkey ON idempotency_keys IS
    'An Idempotency-Key is used once per stream: a retry finds the seqs its first request got.';
COMMENT ON CONSTRAINT idempotency_keys_range ON idempotency_keys IS
    'The remembered answer is a non-empty range of seqs from 1 on.';
COMMENT ON CONSTRAINT idempotency_keys_stream_id_fkey ON idempotency_keys IS
    'Every key belongs to a stream row.';

COMMENT ON CONSTRAINT producers_pkey ON producers IS
    'One session state per stream and Producer-Id.';
COMMENT ON CONSTRAINT producers_epoch_non_negative ON producers IS
    'Producer-Epoch is 0 to 2^53-1; the API refuses anything else (invalid-producer-headers).';
COMMENT ON CONSTRAINT producers_last_seq_non_negative ON producers IS
    'Producer-Seq numbers start at 0 in each epoch.';
COMMENT ON CONSTRAINT producers_last_stream_seq_positive ON producers IS
    'A producer row exists only once it stored a chunk, whose stream seq is 1 or more.';
COMMENT ON CONSTRAINT producers_stream_id_fkey ON producers IS
    'Every producer state belongs to a stream row.';

COMMENT ON CONSTRAINT cluster_keys_pkey ON cluster_keys IS
    'One key of each name: every node of the deployment reads the same one.';

COMMENT ON INDEX streams_pkey IS 'Finds a stream''s row (and locks it) by id on every append and read.';
COMMENT ON INDEX chunks_pkey IS
    'Serves every read of a stream after a seq (backfill, list, catch-up) as an index range scan.';
COMMENT ON INDEX idempotency_keys_pkey IS 'Finds a retried request''s stored answer.';
COMMENT ON INDEX producers_pkey IS 'Finds a producer''s session state under the stream''s row lock.';
COMMENT ON INDEX cluster_keys_pkey IS 'Finds a shared key by name.';
