/**
 * Wire contract v1 in one place, below delivery and fan-out: the JSON of the HTTP API, the
 * WebSocket frames, the versioned messages nodes exchange over Redis, the problem codes and the
 * stream-id grammar. Invariant: a client frame is rendered only from chunk fields, never forwarded
 * from another node, so a frame change is never a node-to-node protocol change.
 */
package io.chunkrelay.wire;
