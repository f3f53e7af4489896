/**
 * The demo chat's simulated AI producer: a prompt typed on the demo page starts a reply that is
 * appended word by word through the chunk log, exactly as a real producer's requests would be.
 * Present only when {@code CHUNK_RELAY_DEMO} is on.
 */
package io.chunkrelay.demo;
