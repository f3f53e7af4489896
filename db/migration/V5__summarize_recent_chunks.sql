-- The outbox relay finds the streams appended to recently through the BRIN index on
-- chunks.created_at. A BRIN page range that nobody has summarised matches every query, so an index
-- that is never summarised (autovacuum off, or not yet run) makes that look-up read the whole
-- table. With autosummarize, autovacuum summarises each range as soon as it fills; the relay also
-- summarises new ranges itself before it looks (brin_summarize_new_values).
ALTER INDEX chunks_created_at SET (autosummarize = on);

COMMENT ON INDEX chunks_created_at IS
    'BRIN over the append time: lets the outbox relay find the streams appended to recently without an index '
    'on the hot streams row. Summarised as ranges fill (autosummarize) and by the relay before each look-up.';
