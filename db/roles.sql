-- Once per PostgreSQL cluster, as a superuser, before the first migration (docs/DBA.md, Roles):
--   psql -v owner_password=... -v runtime_password=... -f db/roles.sql
-- Creates the roles that are missing; changes nothing about those that exist.
--   chunk_relay_owner    owns the schema and runs the migrations (java -jar chunk-relay.jar migrate);
--                        CREATEROLE and ADMIN OPTION on the other two let its migrations set the
--                        runtime role's server-side timeouts.
--   chunk_relay_runtime  what nodes log in as (CHUNK_RELAY_DB_USER); the migrations grant it exactly
--                        what the node needs.
--   chunk_relay_auditor  read-only; grant it to the people and tools that audit the log.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE chunk_relay_owner LOGIN NOSUPERUSER CREATEROLE PASSWORD %L', :'owner_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunk_relay_owner') \gexec
SELECT format('CREATE ROLE chunk_relay_runtime LOGIN NOSUPERUSER PASSWORD %L', :'runtime_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunk_relay_runtime') \gexec
SELECT 'CREATE ROLE chunk_relay_auditor NOLOGIN NOSUPERUSER'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunk_relay_auditor') \gexec

GRANT chunk_relay_runtime, chunk_relay_auditor TO chunk_relay_owner WITH ADMIN OPTION;
