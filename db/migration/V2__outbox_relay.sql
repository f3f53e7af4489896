-- The outbox relay looks for streams whose committed chunks were not (yet) known to be published.
CREATE INDEX streams_unpublished ON streams (updated_at) WHERE published_seq < head_seq;

COMMENT ON INDEX streams_unpublished IS
    'Streams with chunks committed but not yet known published to Redis; scanned by the outbox relay.';
