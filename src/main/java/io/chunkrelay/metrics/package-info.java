/**
 * The node's counters and gauges, rendered in the Prometheus text format at {@code /metrics}.
 * Metrics only observe: nothing in delivery depends on a metric's value.
 */
package io.chunkrelay.metrics;
