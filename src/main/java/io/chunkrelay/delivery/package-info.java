/**
 * Gapless delivery of a stream to one WebSocket connection: subscribe first, then backfill from the
 * chunk log, then merge live chunks by seq (promises 3 to 6). Each connection is a {@link
 * io.chunkrelay.delivery.DeliveryState} machine driven on its own serial executor, so its {@code
 * next} seq is only ever touched by one thread at a time and the node's Redis subscriber never
 * waits on it.
 */
package io.chunkrelay.delivery;
