package io.chunkrelay.app;

import io.chunkrelay.delivery.Delivery;
import io.chunkrelay.delivery.LiveFeed;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.store.ChunkLog;

/**
 * A running node's parts, kept in the servlet context under {@link #ATTRIBUTE} for components
 * deployed in the same WAR (extensions, and test-only endpoints in the test suite's WAR).
 */
public record RelayNode(
    String nodeId, ChunkLog log, LiveFeed feed, Delivery delivery, Metrics metrics) {
  public static final String ATTRIBUTE = RelayNode.class.getName();
}
