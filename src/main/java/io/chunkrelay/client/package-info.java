/**
 * The Java client: a producer side that appends and completes streams, retrying safely with one
 * {@code Idempotency-Key} per append, and a consumer side that delivers a stream's chunks exactly
 * once and in order across reconnects. Needs only the JDK's HTTP client and Jackson; shipped as
 * {@code chunk-relay-client.jar} (the WAR's demo assistant uses it too).
 */
package io.chunkrelay.client;
