-- Three roles, so that the node never connects as a role that can alter the log's rules:
--   the owner (whoever runs this migration; chunk_relay_owner in the embedded run and the tests)
--     owns every object and alone runs DDL;
--   chunk_relay_runtime is what nodes log in as: exactly the privileges the node's SQL needs
--     (nothing on the chunks but SELECT and INSERT, no DDL, no TRUNCATE), and server-side limits
--     on how long a statement, a lock wait or an idle transaction may last;
--   chunk_relay_auditor reads the log and writes nothing (no access to the fan-out secret).
-- Roles belong to the PostgreSQL cluster, not the database: this migration creates the two it
-- grants to when they are missing and the owner may create roles (CREATEROLE); otherwise a
-- superuser creates them once beforehand (docs/DBA.md, "Roles").
DO $roles$
DECLARE
    may_create_roles boolean := (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user);
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunk_relay_runtime') THEN
        IF NOT may_create_roles THEN
            RAISE EXCEPTION 'role chunk_relay_runtime does not exist and % may not create roles', current_user
                USING ERRCODE = '42501',
                      HINT = 'As a superuser, once: CREATE ROLE chunk_relay_runtime LOGIN PASSWORD ''...''; (docs/DBA.md, Roles)';
        END IF;
        CREATE ROLE chunk_relay_runtime LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunk_relay_auditor') THEN
        IF NOT may_create_roles THEN
            RAISE EXCEPTION 'role chunk_relay_auditor does not exist and % may not create roles', current_user
                USING ERRCODE = '42501',
                      HINT = 'As a superuser, once: CREATE ROLE chunk_relay_auditor NOLOGIN; (docs/DBA.md, Roles)';
        END IF;
        CREATE ROLE chunk_relay_auditor NOLOGIN;
    END IF;
    -- Server-side limits for every session of the runtime role, whatever its client sets up: a
    -- statement the node would have given up on (its socket timeout is 15 s) is cancelled by the
    -- server first; an append never queues for long behind a DBA's lock; a transaction left open
    -- by a stalled node releases its row locks.
    -- (PostgreSQL 16 and later also want ADMIN OPTION on the role: a superuser grants it, or sets
    -- these three itself.)
    BEGIN
        ALTER ROLE chunk_relay_runtime SET statement_timeout = '10s';
        ALTER ROLE chunk_relay_runtime SET lock_timeout = '5s';
        ALTER ROLE chunk_relay_runtime SET idle_in_transaction_session_timeout = '30s';
        COMMENT ON ROLE chunk_relay_runtime IS
            'Chunk Relay nodes log in as this role: SELECT and INSERT on the log, UPDATE of the stream heads and '
            'watermarks, nothing else; statement_timeout 10s, lock_timeout 5s, idle_in_transaction_session_timeout 30s.';
        COMMENT ON ROLE chunk_relay_auditor IS
            'Read-only access to the Chunk Relay log (tables, audit views and the verifier), not to cluster_keys. '
            'Grant it to the people and tools that audit: GRANT chunk_relay_auditor TO alice;';
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING '% may not set chunk_relay_runtime''s timeouts: a superuser sets them once (docs/DBA.md, Roles)',
            current_user;
    END;
END
$roles$;

-- Grants name the schema the migration runs in: deployments in other schemas keep their own.
DO $grants$
DECLARE
    schema_name text := current_schema();
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO chunk_relay_runtime, chunk_relay_auditor', schema_name);

    EXECUTE format('GRANT SELECT, INSERT ON %I.streams TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT UPDATE (head_seq, published_seq, status, updated_at, completed_at) ON %I.streams'
                   ' TO chunk_relay_runtime', schema_name);
    -- Only to take back a stream row its own transaction created and stored nothing in (a refused
    -- first append changes nothing); the log's triggers refuse every other delete.
    EXECUTE format('GRANT DELETE ON %I.streams TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT SELECT, INSERT ON %I.chunks TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT SELECT, INSERT ON %I.idempotency_keys TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT SELECT, INSERT ON %I.producers TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT UPDATE (epoch, last_seq, last_stream_seq, updated_at, owner) ON %I.producers'
                   ' TO chunk_relay_runtime', schema_name);
    EXECUTE format('GRANT SELECT, INSERT ON %I.cluster_keys TO chunk_relay_runtime', schema_name);
    -- A node that does not migrate checks the schema's version before it serves.
    EXECUTE format('GRANT SELECT ON %I.flyway_schema_history TO chunk_relay_runtime, chunk_relay_auditor',
                   schema_name);

    EXECUTE format('GRANT SELECT ON %I.streams, %I.chunks, %I.idempotency_keys, %I.producers'
                   ' TO chunk_relay_auditor', schema_name, schema_name, schema_name, schema_name);

    -- brin_summarize_new_values needs the index's owner: the relay calls this instead, which runs
    -- as the owner and does that one thing.
    EXECUTE format($fn$
        CREATE FUNCTION %1$I.summarize_new_chunks() RETURNS integer
            LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
            AS %2$L
        $fn$, schema_name,
        format('SELECT brin_summarize_new_values(%L::regclass)', format('%I.chunks_created_at', schema_name)));
    EXECUTE format('REVOKE ALL ON FUNCTION %I.summarize_new_chunks() FROM PUBLIC', schema_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %I.summarize_new_chunks() TO chunk_relay_runtime', schema_name);
END
$grants$;

COMMENT ON FUNCTION summarize_new_chunks() IS
    'Summarises the chunk pages the BRIN index chunks_created_at does not cover yet (brin_summarize_new_values, '
    'which needs the index''s owner): runs as the owner (SECURITY DEFINER) for the outbox relay, which runs as '
    'chunk_relay_runtime. Returns how many page ranges it summarised.';
