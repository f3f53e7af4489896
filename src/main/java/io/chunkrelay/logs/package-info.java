/**
 * Keeps the node's log readable under attack: repeated events of one cause are logged once in full
 * and then counted ({@link io.chunkrelay.logs.LogLimiter}).
 */
package io.chunkrelay.logs;
