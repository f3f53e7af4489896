package io.chunkrelay.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.store.StoredChunk;
import io.chunkrelay.store.StreamInfo;

/**
 * The JSON shapes of wire contract v1 that both the HTTP API and the WebSocket frames use, written
 * in one place so the two never disagree.
 */
public final class WireFormat {
  static final ObjectMapper JSON = new ObjectMapper();

  private WireFormat() {}

  /** {@code {"seq":..,"messageId":..,"content":..,"final":..,"createdAt":..}} */
  static ObjectNode chunk(StoredChunk chunk) {
    ObjectNode node = JSON.createObjectNode();
    node.put("seq", chunk.seq());
    node.put("messageId", chunk.messageId());
    node.put("content", chunk.content());
    node.put("final", chunk.isFinal());
    node.put("createdAt", chunk.createdAt().toString());
    return node;
  }

  static ObjectNode stream(StreamInfo stream) {
    ObjectNode node = JSON.createObjectNode();
    node.put("streamId", stream.streamId());
    node.put("headSeq", stream.headSeq());
    node.put("status", stream.status().wireName());
    node.put("createdAt", stream.createdAt().toString());
    node.put("updatedAt", stream.updatedAt().toString());
    if (stream.completedAt() != null) {
      node.put("completedAt", stream.completedAt().toString());
    }
    return node;
  }

  /** WebSocket frame {@code {"type":"chunk","seq":7,"messageId":..,"content":..,"final":..}}. */
  public static String chunkFrame(StoredChunk chunk) {
    ObjectNode node = JSON.createObjectNode();
    node.put("type", "chunk");
    node.put("seq", chunk.seq());
    node.put("messageId", chunk.messageId());
    node.put("content", chunk.content());
    node.put("final", chunk.isFinal());
    return write(node);
  }

  /** WebSocket frame {@code {"type":"complete","lastSeq":10}}. */
  public static String completeFrame(long lastSeq) {
    ObjectNode node = JSON.createObjectNode();
    node.put("type", "complete");
    node.put("lastSeq", lastSeq);
    return write(node);
  }

  /** WebSocket frame {@code {"type":"error","code":..,"message":..}}. */
  public static String errorFrame(ProblemType type, String message) {
    ObjectNode node = JSON.createObjectNode();
    node.put("type", "error");
    node.put("code", type.code());
    node.put("message", message);
    return write(node);
  }

  static String write(ObjectNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }
}
