/**
 * Chunk Relay's settings: read once at start-up from system properties, environment variables or
 * JNDI, validated as a whole, and handed around as one immutable {@link
 * io.chunkrelay.config.RelayConfig}. A bad value stops start-up with a message that names the
 * setting.
 */
package io.chunkrelay.config;
