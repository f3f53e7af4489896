/**
 * The WebSocket side: the endpoint a subscriber connects to ({@code /ws/streams/{id}?after=N}),
 * which hands the connection to delivery; the sink delivery sends its frames through; and the
 * servlet that says going away (1001) to every connection as the application stops.
 */
package io.chunkrelay.web.socket;
