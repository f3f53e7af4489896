-- Every append updates its stream's row (head_seq, updated_at). An index on a column an append
-- changes makes each such update write every index of the table; without one, PostgreSQL can make
-- it a HOT update (heap-only: a new row version on the same page, no index entry), which is what
-- keeps the hottest row in the product cheap. The outbox relay's partial index on
-- (updated_at) WHERE published_seq < head_seq was such an index: it goes, and the relay finds the
-- streams to look at from the chunks appended recently (a BRIN index on chunks.created_at, which
-- costs next to nothing on an insert-only table in time order), plus a full sweep now and then.
DROP INDEX streams_unpublished;

-- Room on each page for the new versions of the rows on it, so updates can stay on the page.
ALTER TABLE streams SET (fillfactor = 50);
COMMENT ON TABLE streams IS
    'One row per stream (one AI reply or conversation). The row is locked FOR NO KEY UPDATE by every append, '
    'which makes chunk seqs gap-free and commit-ordered per stream. No index covers a column an append '
    'changes, and fillfactor 50 leaves room on each page, so an append''s update of this row is HOT.';

CREATE INDEX chunks_created_at ON chunks USING brin (created_at);
COMMENT ON INDEX chunks_created_at IS
    'BRIN over the append time: lets the outbox relay find the streams appended to recently without an index '
    'on the hot streams row.';
