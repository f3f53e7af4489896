/**
 * Gapless delivery of a stream to one WebSocket connection: subscribe first, then backfill from the
 * chunk log, then merge live chunks by seq (promises 3 to 6). The decisions live in {@link
 * io.chunkrelay.delivery.SeqMerger}, a plain class without threads; {@link
 * io.chunkrelay.delivery.StreamConnection} is its shell, driven on its own serial executor so its
 * {@code next} seq is only ever touched by one thread at a time and the node's Redis subscriber
 * never waits on it; every send asks the {@link io.chunkrelay.delivery.ConnectionRegistry} first.
 */
package io.chunkrelay.delivery;
