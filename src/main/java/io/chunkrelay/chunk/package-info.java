/**
 * The chunk log's model, shared by the store, the wire format and delivery: a stream as the log
 * knows it, its committed chunks, what an append asks for and what it got. Plain immutable values:
 * no SQL, no JSON, no threads. A chunk has no seq until the log commits it, and the seqs a stream's
 * chunks get are 1, 2, 3, ... without holes.
 */
package io.chunkrelay.chunk;
