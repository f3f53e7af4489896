/**
 * The container edge, and the only package that imports the Servlet or WebSocket APIs: the HTTP
 * API, the WebSocket endpoint, problem rendering, the request parser, health, metrics and the demo
 * endpoint, registered when the web application starts. Every refusal is an RFC 9457 problem (or a
 * WebSocket error frame) with a stable code, decided before anything is written, so bad input
 * changes nothing and no client ever sees a stack trace.
 */
package io.chunkrelay.web;
