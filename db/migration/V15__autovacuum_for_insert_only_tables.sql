-- The log's big tables only ever receive inserts. PostgreSQL vacuums such a table after
-- autovacuum_vacuum_insert_scale_factor (20%) of its rows were inserted: on a table of a hundred
-- million chunks, every twenty million, so the visibility map (index-only scans, the verifier's
-- and the readers' cost) and the BRIN summaries of recent pages (the outbox relay's look-up) lag
-- far behind. A fixed number of inserted rows instead: vacuum every 100,000 chunks (a few seconds
-- of work at full speed), analyze every 1% so the planner knows the newest pages exist.
ALTER TABLE chunks SET (
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 100000,
    autovacuum_analyze_scale_factor = 0.01
);
ALTER TABLE publications SET (
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 100000,
    autovacuum_analyze_scale_factor = 0.01
);
ALTER TABLE idempotency_keys SET (
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 100000,
    autovacuum_analyze_scale_factor = 0.01
);
-- Every append updates its stream's row (a HOT update): dead versions pile up fast on few pages,
-- so vacuum streams after 2% of its rows changed rather than 20%.
ALTER TABLE streams SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02
);
