package io.chunkrelay.fanout;

/**
 * Keeps streams and test runs apart on a shared Redis.
 *
 * <p>Names of the Redis channels: {@code <prefix>stream:<streamId>} and one control channel a node.
 */
final class Channels {
  private final String prefix;

  Channels(String prefix) {
    this.prefix = prefix;
  }

  String stream(String streamId) {
    return prefix + "stream:" + streamId;
  }

  /** The stream id of a stream channel, or null for any other channel. */
  String streamIdOf(String channel) {
    String streamPrefix = prefix + "stream:";
    return channel.startsWith(streamPrefix) ? channel.substring(streamPrefix.length()) : null;
  }

  String node(String nodeId) {
    return prefix + "node:" + nodeId;
  }
}
