/**
 * What an operator asks a node: {@code /health} (PostgreSQL reachable, Redis reported) and {@code
 * /metrics} (Prometheus text; the admin scope when tokens are required).
 */
package io.chunkrelay.web.ops;
