/**
 * The chunk log in PostgreSQL: streams, their chunks and idempotency keys. Keeps promises 1 and 2:
 * a seq is handed out only after its chunk committed, and a stream's seqs are 1, 2, 3, ... without
 * holes, because each append takes the next seq from the stream's row locked in its own
 * transaction.
 */
package io.chunkrelay.store;
