-- Idempotent producers (the Kafka / Durable Streams model): a producer names itself (Producer-Id),
-- its session (Producer-Epoch, raised when it restarts) and numbers every chunk it sends within the
-- session (Producer-Seq, from 0). The node keeps, per stream and producer, the session and the last
-- number it stored, in the transaction that stores the chunks, under the stream row's lock: a
-- resend of chunks already stored is skipped, a stale session is fenced off, a hole in the
-- numbering is refused.

CREATE TABLE producers (
    stream_id       varchar(128) NOT NULL REFERENCES streams (stream_id) ON DELETE CASCADE,
    producer_id     varchar(128) NOT NULL,
    epoch           bigint       NOT NULL CONSTRAINT producers_epoch_non_negative CHECK (epoch >= 0),
    last_seq        bigint       NOT NULL CONSTRAINT producers_last_seq_non_negative CHECK (last_seq >= 0),
    last_stream_seq bigint       NOT NULL CONSTRAINT producers_last_stream_seq_positive CHECK (last_stream_seq >= 1),
    updated_at      timestamptz  NOT NULL,
    PRIMARY KEY (stream_id, producer_id)
);

COMMENT ON TABLE producers IS
    'Idempotent producers of each stream (Producer-Id, Producer-Epoch, Producer-Seq headers): the session and '
    'the last chunk number stored, written in the same transaction as the chunks, under the stream row lock.';
COMMENT ON COLUMN producers.stream_id IS 'The stream the producer writes to; producer state is kept per stream.';
COMMENT ON COLUMN producers.producer_id IS 'The Producer-Id header: the producer''s stable name, chosen by the producer.';
COMMENT ON COLUMN producers.epoch IS 'The producer''s current session (Producer-Epoch); requests with a lower epoch are refused (403 stale-producer-epoch).';
COMMENT ON COLUMN producers.last_seq IS 'Producer-Seq of the last chunk stored in this epoch; the next chunk must be last_seq + 1, resends at or below it are skipped.';
COMMENT ON COLUMN producers.last_stream_seq IS 'The stream seq (chunks.seq) that chunk got.';
COMMENT ON COLUMN producers.updated_at IS 'When the producer last stored a chunk (node clock).';
