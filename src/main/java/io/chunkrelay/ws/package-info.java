/**
 * The WebSocket endpoint {@code /ws/streams/{streamId}?after=N}: delivers every chunk with seq
 * greater than {@code after}, once each and in seq order, then a {@code complete} frame when the
 * stream is completed. Bad parameters get an error frame with a stable code and a close, never a
 * stack trace.
 */
package io.chunkrelay.ws;
