package io.chunkrelay.fanout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.api.WireFormat;
import io.chunkrelay.delivery.Frame;
import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.store.StoredChunk;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON on a stream channel: {@code {"streamId":..,"chunks":[<chunk frames>]}} after an append,
 * {@code {"streamId":..,"completedLastSeq":N}} after a complete. Chunks travel as the exact
 * WebSocket chunk frames, so a subscriber forwards them without rendering them again.
 */
final class FanoutMessage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FanoutMessage() {}

  static String appended(String streamId, List<StoredChunk> chunks) {
    ObjectNode message = JSON.createObjectNode();
    message.put("streamId", streamId);
    ArrayNode frames = message.putArray("chunks");
    for (StoredChunk chunk : chunks) {
      frames.addRawValue(
          new com.fasterxml.jackson.databind.util.RawValue(WireFormat.chunkFrame(chunk)));
    }
    return write(message);
  }

  static String completed(String streamId, long lastSeq) {
    ObjectNode message = JSON.createObjectNode();
    message.put("streamId", streamId);
    message.put("completedLastSeq", lastSeq);
    return write(message);
  }

  /**
   * Parses a channel message.
   *
   * @throws IllegalArgumentException if it is not a message of this shape
   */
  static LiveEvent parse(String text) {
    try {
      JsonNode message = JSON.readTree(text);
      String streamId = message.path("streamId").asText(null);
      if (streamId == null) {
        throw new IllegalArgumentException("no streamId");
      }
      List<Frame> frames = new ArrayList<>();
      for (JsonNode chunk : message.path("chunks")) {
        long seq = chunk.path("seq").asLong(-1);
        if (seq < 1 || !"chunk".equals(chunk.path("type").asText())) {
          throw new IllegalArgumentException("not a chunk frame: " + chunk);
        }
        frames.add(Frame.chunk(seq, JSON.writeValueAsString(chunk)));
      }
      long completed = message.path("completedLastSeq").asLong(LiveEvent.NOT_COMPLETED);
      return new LiveEvent(streamId, List.copyOf(frames), completed);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static String write(ObjectNode message) {
    try {
      return JSON.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }
}
