#!/bin/sh
# Runs once, when the compose PostgreSQL initialises its data directory: the roles of db/roles.sql,
# and the database handed to the owner role, which migrates it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$CHUNK_RELAY_OWNER_PASSWORD" \
  -v runtime_password="$CHUNK_RELAY_RUNTIME_PASSWORD" \
  -f /chunk-relay/roles.sql
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "ALTER DATABASE \"$POSTGRES_DB\" OWNER TO chunk_relay_owner"
