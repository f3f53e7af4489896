/**
 * The HTTP API of wire contract v1 and the JSON shapes it shares with the WebSocket frames. Every
 * refusal is an RFC 9457 problem with a stable type and code, decided before anything is written,
 * so bad input changes nothing and no client ever sees a stack trace.
 */
package io.chunkrelay.api;
