package io.chunkrelay.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.store.StoredChunk;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps node-to-node messages apart from client frames: what one node tells the others on a
 * stream's Redis channel, versioned so that a rolling upgrade never has to change both at once.
 *
 * <p>Version {@value #VERSION}: {@code {"v":1,"streamId":..,"chunks":[{"seq","messageId",
 * "content","final","createdAt"}]}} after an append, {@code {"v":1,"streamId":..,
 * "completedLastSeq":N}} after a complete. A message carries chunk fields, never a client frame:
 * each receiving node renders a chunk's frame once for all its connections. A reader that meets
 * another version gets {@link UnknownVersion} and reads the table instead (nothing is lost; the
 * chunk log has every chunk a message could carry).
 *
 * @param completedLastSeq the stream's last seq if this message says it was completed, else {@link
 *     #NOT_COMPLETED}
 */
public record FanoutMessage(String streamId, List<StoredChunk> chunks, long completedLastSeq) {
  /** The version this node writes and the only one it reads. */
  public static final int VERSION = 1;

  public static final long NOT_COMPLETED = -1;

  public FanoutMessage {
    chunks = List.copyOf(chunks);
  }

  /** A message of a version this node does not read (older or newer nodes in an upgrade). */
  public static final class UnknownVersion extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int version;

    UnknownVersion(int version) {
      super("fan-out message version " + version + " (this node reads " + VERSION + ")");
      this.version = version;
    }

    /** The message's version; 0 for a message without one (written before versions existed). */
    public int version() {
      return version;
    }
  }

  /** The message for chunks just committed to {@code streamId}, in seq order. */
  public static String appended(String streamId, List<StoredChunk> chunks) {
    ObjectNode message = header(streamId);
    ArrayNode array = message.putArray("chunks");
    chunks.forEach(chunk -> array.add(WireFormat.chunk(chunk)));
    return WireFormat.write(message);
  }

  /** The message that {@code streamId} was completed at {@code lastSeq}. */
  public static String completed(String streamId, long lastSeq) {
    ObjectNode message = header(streamId);
    message.put("completedLastSeq", lastSeq);
    return WireFormat.write(message);
  }

  /**
   * Reads a channel message.
   *
   * @throws UnknownVersion if it is a message of another version
   * @throws IllegalArgumentException if it is not a message of this shape at all
   */
  public static FanoutMessage parse(String text) {
    JsonNode message;
    try {
      message = WireFormat.parse(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (!message.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    int version = message.path("v").asInt(0);
    if (version != VERSION) {
      throw new UnknownVersion(version);
    }
    String streamId = message.path("streamId").asText(null);
    if (streamId == null) {
      throw new IllegalArgumentException("no streamId");
    }
    List<StoredChunk> chunks = new ArrayList<>();
    for (JsonNode chunk : message.path("chunks")) {
      chunks.add(chunk(chunk));
    }
    long completed = message.path("completedLastSeq").asLong(NOT_COMPLETED);
    return new FanoutMessage(streamId, chunks, completed);
  }

  private static ObjectNode header(String streamId) {
    ObjectNode message = WireFormat.object();
    message.put("v", VERSION);
    message.put("streamId", streamId);
    return message;
  }

  private static StoredChunk chunk(JsonNode chunk) {
    long seq = chunk.path("seq").asLong(-1);
    JsonNode messageId = chunk.path("messageId");
    JsonNode content = chunk.path("content");
    JsonNode isFinal = chunk.path("final");
    if (seq < 1 || !messageId.isTextual() || !content.isTextual() || !isFinal.isBoolean()) {
      throw new IllegalArgumentException("not a chunk: " + chunk);
    }
    try {
      Instant createdAt = Instant.parse(chunk.path("createdAt").asText(""));
      return new StoredChunk(
          seq, messageId.textValue(), content.textValue(), isFinal.booleanValue(), createdAt);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("chunk " + seq + " has no valid createdAt", e);
    }
  }
}
