package io.chunkrelay.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's open connections by id. Fails closed: an unknown id is never ready, and registering an
 * id that is already registered is an error rather than a silent replacement.
 */
public final class ConnectionRegistry {
  private final Map<String, StreamConnection> connections = new ConcurrentHashMap<>();

  void register(StreamConnection connection) {
    StreamConnection earlier = connections.putIfAbsent(connection.id(), connection);
    if (earlier != null) {
      throw new IllegalStateException("connection " + connection.id() + " is already registered");
    }
  }

  void unregister(StreamConnection connection) {
    connections.remove(connection.id(), connection);
  }

  /** Whether the connection is registered and in a state that may send. */
  public boolean isReady(String connectionId) {
    StreamConnection connection = connections.get(connectionId);
    return connection != null && connection.state().isReady();
  }

  /** A snapshot of the registered connections. */
  java.util.List<StreamConnection> all() {
    return java.util.List.copyOf(connections.values());
  }

  public int size() {
    return connections.size();
  }

  /** How many registered connections are in {@code state} right now. */
  public long count(DeliveryState state) {
    return connections.values().stream().filter(c -> c.state() == state).count();
  }
}
