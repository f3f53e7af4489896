/**
 * The demo chat's simulated AI producer: a prompt typed on the demo page starts a reply that is
 * POSTed word by word to the node's own API, as a real producer's would be. Present only when
 * {@code CHUNK_RELAY_DEMO} is on.
 */
package io.chunkrelay.demo;
