package io.chunkrelay.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.chunkrelay.chunk.StoredChunk;
import java.io.IOException;
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
    return WireFormat.generate(
        64 + 96 * chunks.size(),
        json -> {
          json.writeStartObject();
          json.writeNumberField("v", VERSION);
          json.writeStringField("streamId", streamId);
          json.writeArrayFieldStart("chunks");
          for (StoredChunk chunk : chunks) {
            WireFormat.writeChunk(json, chunk);
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }

  /** The message that {@code streamId} was completed at {@code lastSeq}. */
  public static String completed(String streamId, long lastSeq) {
    return WireFormat.generate(
        64,
        json -> {
          json.writeStartObject();
          json.writeNumberField("v", VERSION);
          json.writeStringField("streamId", streamId);
          json.writeNumberField("completedLastSeq", lastSeq);
          json.writeEndObject();
        });
  }

  /**
   * Reads a channel message, with a streaming parser (every live chunk of the cluster passes here,
   * so no tree is built).
   *
   * @throws UnknownVersion if it is a message of another version
   * @throws IllegalArgumentException if it is not a message of this shape at all
   */
  public static FanoutMessage parse(String text) {
    try (JsonParser json = WireFormat.parser(text)) {
      if (json.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Reading reading = new Reading();
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        String field = json.currentName();
        JsonToken value = json.nextToken();
        switch (field) {
          case "v" ->
              reading.version = value == JsonToken.VALUE_NUMBER_INT ? json.getIntValue() : 0;
          case "streamId" ->
              reading.streamId = value == JsonToken.VALUE_STRING ? json.getText() : null;
          case "completedLastSeq" ->
              reading.completed =
                  value == JsonToken.VALUE_NUMBER_INT ? json.getLongValue() : NOT_COMPLETED;
          case "chunks" -> reading.chunks(json);
          default -> json.skipChildren();
        }
      }
      return reading.message();
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }

  /** What a message said so far; judged at its end, version first. */
  private static final class Reading {
    int version;
    String streamId;
    long completed = NOT_COMPLETED;
    final List<StoredChunk> chunks = new ArrayList<>();
    IllegalArgumentException wrongShape;
    // The chunks of one group share their createdAt: parse it once.
    private String createdAtText;
    private Instant createdAt;

    void chunks(JsonParser json) throws IOException {
      if (json.currentToken() != JsonToken.START_ARRAY) {
        json.skipChildren();
        return;
      }
      while (json.nextToken() != JsonToken.END_ARRAY) {
        if (json.currentToken() != JsonToken.START_OBJECT) {
          json.skipChildren();
          wrong("a chunk is not an object");
          continue;
        }
        chunk(json);
      }
    }

    private void chunk(JsonParser json) throws IOException {
      long seq = -1;
      String messageId = null;
      String content = null;
      Boolean isFinal = null;
      String created = "";
      while (json.nextToken() == JsonToken.FIELD_NAME) {
        String field = json.currentName();
        JsonToken value = json.nextToken();
        switch (field) {
          case "seq" -> seq = value == JsonToken.VALUE_NUMBER_INT ? json.getLongValue() : -1;
          case "messageId" -> messageId = value == JsonToken.VALUE_STRING ? json.getText() : null;
          case "content" -> content = value == JsonToken.VALUE_STRING ? json.getText() : null;
          case "final" -> isFinal = value.isBoolean() ? value == JsonToken.VALUE_TRUE : null;
          case "createdAt" -> created = value == JsonToken.VALUE_STRING ? json.getText() : "";
          default -> json.skipChildren();
        }
      }
      if (seq < 1 || messageId == null || content == null || isFinal == null) {
        wrong("not a chunk: seq " + seq);
        return;
      }
      try {
        if (!created.equals(createdAtText)) {
          createdAt = Instant.parse(created);
          createdAtText = created;
        }
        chunks.add(new StoredChunk(seq, messageId, content, isFinal, createdAt));
      } catch (DateTimeParseException e) {
        wrong("chunk " + seq + " has no valid createdAt");
      }
    }

    private void wrong(String problem) {
      if (wrongShape == null) {
        wrongShape = new IllegalArgumentException(problem);
      }
    }

    FanoutMessage message() {
      if (version != VERSION) {
        throw new UnknownVersion(version);
      }
      if (streamId == null) {
        throw new IllegalArgumentException("no streamId");
      }
      if (wrongShape != null) {
        throw wrongShape;
      }
      return new FanoutMessage(streamId, chunks, completed);
    }
  }
}
