package io.chunkrelay.delivery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps promise 6 (fail closed): the node's open connections by id, and the only judge of whether
 * one may be sent to. Fails closed: an unknown id is never ready, a connection that is not the one
 * registered under its id is never ready, and registering an id that is already registered is an
 * error rather than a silent replacement. Every send asks it first ({@link Sender}).
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

  /** Whether a connection is registered under this id and in a state that may send. */
  public boolean isReady(String connectionId) {
    StreamConnection connection = connections.get(connectionId);
    return connection != null && connection.state().isReady();
  }

  /** Whether this very connection is the one registered under its id, in a state that may send. */
  boolean isReady(StreamConnection connection) {
    return connections.get(connection.id()) == connection && connection.state().isReady();
  }

  /** A snapshot of the registered connections. */
  List<StreamConnection> all() {
    return List.copyOf(connections.values());
  }

  public int size() {
    return connections.size();
  }

  /** How many registered connections are in {@code state} right now. */
  public long count(DeliveryState state) {
    return connections.values().stream().filter(c -> c.state() == state).count();
  }
}
