/**
 * The container edge, and the only code that imports the Servlet or WebSocket APIs. This package
 * wires the roles below when the web application starts ({@link
 * io.chunkrelay.web.ChunkRelayListener}): {@code edge} (the filters every request passes, and the
 * checked WebSocket upgrade), {@code api} (the HTTP API), {@code socket} (the WebSocket endpoint),
 * {@code ops} (health and metrics), {@code demo} (the demo chat's assistant), and {@code http} (the
 * problem answers all of them give). Every refusal is an RFC 9457 problem (or a WebSocket error
 * frame) with a stable code, decided before anything is written, so bad input changes nothing and
 * no client ever sees a stack trace.
 */
package io.chunkrelay.web;
