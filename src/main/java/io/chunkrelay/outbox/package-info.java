/**
 * The outbox: the per-stream {@code published_seq} watermark and the relay that publishes what was
 * committed but never published (a node that died between commit and publish, a Redis outage). It
 * keeps promise 7's second half: publishing twice is harmless, publishing never is impossible.
 */
package io.chunkrelay.outbox;
