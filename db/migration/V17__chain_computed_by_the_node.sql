-- The node computes each chunk's chain link itself (SHA-256 in Java, from the stream's head link
-- it last committed) and the storing statement moves the head only while it is still that head:
-- the database no longer hashes on the append path. What a link is does not change.
COMMENT ON COLUMN chunks.chain IS
    'Hash chain link: sha256(previous chunk''s chain, or chain_genesis(stream_id) for seq 1 || int8(seq) || '
    'int4(bytes of message_id) || message_id || byte(final) || content), written in the storing statement (the '
    'node computes it from the head it moved the stream from). The head''s chain is sent to clients; verify_log() '
    'recomputes every link.';
