/**
 * The node's wiring: its parts started once from the validated configuration, in dependency order,
 * and stopped in reverse. A node that cannot start (bad setting, unreachable database, schema
 * mismatch) starts nothing at all rather than half.
 */
package io.chunkrelay.app;
