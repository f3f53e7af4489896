/**
 * The HTTP API of wire contract v1: appends (JSON, batches, streamed ndjson), complete, stream and
 * chunk reads. Bodies are read with non-blocking I/O, so a slow client holds no container thread; a
 * producer is answered only once its chunks committed, and a refused request stores nothing.
 */
package io.chunkrelay.web.api;
