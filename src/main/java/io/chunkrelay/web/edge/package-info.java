/**
 * What every request passes before the application handles it: the browser security headers, the
 * door (origin check, authentication, the caller's grant as the request's principal, WebSocket
 * admission), CORS for the browser client's script, and the WebSocket upgrade that reads client
 * frame headers before Tyrus does (unmasked: 1002, over 64 KiB: 1009). Nobody reads or writes a
 * stream they were not given.
 */
package io.chunkrelay.web.edge;
