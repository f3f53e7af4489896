/**
 * The embedded run ({@code java -jar target/chunk-relay.jar}): finds or starts PostgreSQL and
 * Redis, then serves the WAR from an embedded Tomcat. Packaged into the executable jar only, never
 * the WAR.
 */
package io.chunkrelay.launch;
