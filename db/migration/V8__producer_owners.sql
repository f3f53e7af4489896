-- A Producer-Id belongs to the subject that first used it on a stream: another subject allowed to
-- produce on the stream cannot take over its session (raise the epoch and fence the owner out).
ALTER TABLE producers ADD COLUMN owner varchar(255);

COMMENT ON COLUMN producers.owner IS
    'The authenticated subject (JWT sub or container principal) that first used this Producer-Id on '
    'the stream; appends by any other subject under this Producer-Id are refused (403 '
    'producer-not-owned). NULL for producers first used on a node without authentication, and for '
    'rows written before this column existed: the next authenticated subject to write claims it.';
