/**
 * Starts and stops a Chunk Relay node inside its servlet container: configuration, database, HTTP
 * API, health and WebSocket endpoint, wired once at start-up. A node that cannot start (bad
 * setting, unreachable database, schema mismatch) refuses to serve at all rather than serve half.
 */
package io.chunkrelay.app;
