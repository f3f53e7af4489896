/**
 * The chunk log in PostgreSQL, and the only code that touches its tables: streams, their chunks,
 * idempotency keys, idempotent producers, the outbox watermark and the relay's advisory lock. Keeps
 * promises 1 and 2: a seq is handed out only after its chunk committed, and a stream's seqs are 1,
 * 2, 3, ... without holes, because each append takes the next seq from the stream's row locked in
 * its own transaction.
 *
 * <p>One data-access style at run time: plain JDBC with hand-written SQL on every path (append,
 * reads, complete, watermark, relay), because the hot paths need set-based statements and {@code
 * RETURNING} that an ORM would hide, and one style is easier to review than two. Hibernate earns
 * its place at start-up: it maps the four tables and validates that mapping against the schema
 * Flyway migrated, so a node never serves against a schema it does not understand. Callers pass
 * plain values ({@link io.chunkrelay.store.PoolSettings}, ids, seqs) and get records back; this
 * package reads no configuration and hands out no DataSource.
 */
package io.chunkrelay.store;
