-- Chunk Relay's record: every stream, every chunk it was acknowledged for, and the idempotency keys
-- that make producer retries safe. PostgreSQL decides; Redis only accelerates delivery.

CREATE TABLE streams (
    stream_id     varchar(128) PRIMARY KEY
                  CONSTRAINT streams_stream_id_grammar CHECK (stream_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
    head_seq      bigint       NOT NULL DEFAULT 0 CONSTRAINT streams_head_seq_non_negative CHECK (head_seq >= 0),
    published_seq bigint       NOT NULL DEFAULT 0,
    status        varchar(16)  NOT NULL DEFAULT 'open'
                  CONSTRAINT streams_status_known CHECK (status IN ('open', 'completed')),
    created_at    timestamptz  NOT NULL,
    updated_at    timestamptz  NOT NULL,
    completed_at  timestamptz,
    CONSTRAINT streams_published_within_head CHECK (published_seq BETWEEN 0 AND head_seq),
    CONSTRAINT streams_completed_at_iff_completed CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

COMMENT ON TABLE streams IS
    'One row per stream (one AI reply or conversation). The row is locked FOR NO KEY UPDATE by every append, '
    'which makes chunk seqs gap-free and commit-ordered per stream.';
COMMENT ON COLUMN streams.stream_id IS 'Producer-chosen id: 1-128 characters of A-Z a-z 0-9 . _ : -';
COMMENT ON COLUMN streams.head_seq IS 'Seq of the last committed chunk; 0 while the stream has none. Chunks 1..head_seq all exist.';
COMMENT ON COLUMN streams.published_seq IS 'Outbox watermark: chunks up to this seq are known to have been published to Redis.';
COMMENT ON COLUMN streams.status IS 'open: accepts appends; completed: closed by POST /complete, appends are refused with 409.';
COMMENT ON COLUMN streams.created_at IS 'When the first append (or complete) created the stream.';
COMMENT ON COLUMN streams.updated_at IS 'When the stream last changed (append or complete).';
COMMENT ON COLUMN streams.completed_at IS 'When the stream was completed; NULL while open.';

CREATE TABLE chunks (
    stream_id  varchar(128) NOT NULL REFERENCES streams (stream_id) ON DELETE CASCADE,
    seq        bigint       NOT NULL CONSTRAINT chunks_seq_positive CHECK (seq >= 1),
    message_id varchar(128) NOT NULL,
    content    text         NOT NULL,
    final      boolean      NOT NULL DEFAULT false,
    created_at timestamptz  NOT NULL,
    PRIMARY KEY (stream_id, seq)
);

COMMENT ON TABLE chunks IS
    'The chunk log: every acknowledged chunk, once, keyed by (stream_id, seq). Rows are never updated; '
    'a producer received a seq only after its row committed.';
COMMENT ON COLUMN chunks.stream_id IS 'The stream the chunk belongs to.';
COMMENT ON COLUMN chunks.seq IS 'Position in the stream, 1, 2, 3, ... without holes, taken from streams.head_seq under the row lock.';
COMMENT ON COLUMN chunks.message_id IS 'Producer-chosen id of the chat message this chunk is part of.';
COMMENT ON COLUMN chunks.content IS 'The chunk text (for example a few tokens of an AI reply).';
COMMENT ON COLUMN chunks.final IS 'True on the last chunk of a message, as the producer said.';
COMMENT ON COLUMN chunks.created_at IS 'When the append that stored this chunk ran (node clock).';

CREATE TABLE idempotency_keys (
    stream_id       varchar(128) NOT NULL REFERENCES streams (stream_id) ON DELETE CASCADE,
    idempotency_key varchar(255) NOT NULL,
    request_sha256  bytea        NOT NULL,
    first_seq       bigint       NOT NULL,
    last_seq        bigint       NOT NULL,
    batch           boolean      NOT NULL,
    created_at      timestamptz  NOT NULL,
    PRIMARY KEY (stream_id, idempotency_key),
    CONSTRAINT idempotency_keys_range CHECK (first_seq >= 1 AND last_seq >= first_seq)
);

COMMENT ON TABLE idempotency_keys IS
    'Appends made with an Idempotency-Key header: a retry with the same key returns these seqs and stores nothing.';
COMMENT ON COLUMN idempotency_keys.stream_id IS 'Stream the keyed append went to; keys are scoped per stream.';
COMMENT ON COLUMN idempotency_keys.idempotency_key IS 'The Idempotency-Key header value the producer sent.';
COMMENT ON COLUMN idempotency_keys.request_sha256 IS 'SHA-256 of the normalised request; a retry with another body under the same key is refused (422).';
COMMENT ON COLUMN idempotency_keys.first_seq IS 'Seq of the first chunk the original request stored.';
COMMENT ON COLUMN idempotency_keys.last_seq IS 'Seq of the last chunk the original request stored.';
COMMENT ON COLUMN idempotency_keys.batch IS 'True when the original request was an array (answered with firstSeq/lastSeq).';
COMMENT ON COLUMN idempotency_keys.created_at IS 'When the original request was stored.';
