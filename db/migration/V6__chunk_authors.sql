-- Who wrote what, when: every chunk records the authenticated subject that appended it.
ALTER TABLE chunks ADD COLUMN appended_by varchar(255);

COMMENT ON COLUMN chunks.appended_by IS
    'The authenticated subject that appended the chunk: the sub claim of the producer''s JWT, or the '
    'name of the container principal (realm, SSO). NULL when the node ran with CHUNK_RELAY_AUTH=none, '
    'and for chunks written before this column existed.';
