/**
 * Keeps one caller from starving the rest: append rates per subject and WebSocket connections per
 * node, per client address and per second, each refused with a wait to retry after and counted.
 */
package io.chunkrelay.guard;
