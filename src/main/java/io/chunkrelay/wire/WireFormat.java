package io.chunkrelay.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.chunk.StreamInfo;
import java.io.IOException;
import java.io.StringWriter;

/**
 * Keeps the JSON of wire contract v1 in one place, so HTTP answers and WebSocket frames never
 * disagree: the chunk and stream objects of the HTTP API and the three WebSocket frames. The node's
 * one {@link ObjectMapper} lives here; everything that writes or reads JSON goes through it.
 */
public final class WireFormat {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Refuses trailing tokens and duplicate keys: a body means one thing or is refused. */
  private static final ObjectReader STRICT =
      JSON.reader()
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private WireFormat() {}

  /** An empty JSON object to fill in. */
  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** The reader for request bodies: one JSON value, no trailing tokens, no duplicate keys. */
  public static ObjectReader strictReader() {
    return STRICT;
  }

  /** Parses JSON text leniently (messages between nodes, which only nodes write). */
  public static JsonNode parse(String text) throws JsonProcessingException {
    return JSON.readTree(text);
  }

  /** {@code {"seq":..,"messageId":..,"content":..,"final":..,"createdAt":..}} */
  public static ObjectNode chunk(StoredChunk chunk) {
    ObjectNode node = object();
    node.put("seq", chunk.seq());
    node.put("messageId", chunk.messageId());
    node.put("content", chunk.content());
    node.put("final", chunk.isFinal());
    node.put("createdAt", chunk.createdAt().toString());
    return node;
  }

  /** {@code {"streamId","headSeq","chain","status","createdAt","updatedAt","completedAt"?}} */
  public static ObjectNode stream(StreamInfo stream) {
    ObjectNode node = object();
    node.put("streamId", stream.streamId());
    node.put("headSeq", stream.headSeq());
    node.put("chain", stream.headChain());
    node.put("status", stream.status().wireName());
    node.put("createdAt", stream.createdAt().toString());
    node.put("updatedAt", stream.updatedAt().toString());
    if (stream.completedAt() != null) {
      node.put("completedAt", stream.completedAt().toString());
    }
    return node;
  }

  /**
   * WebSocket frame {@code {"type":"chunk","seq":7,"messageId":..,"content":..,"final":..}},
   * written with a streaming generator: one is rendered for every chunk a node delivers.
   */
  public static String chunkFrame(StoredChunk chunk) {
    return generate(
        64 + chunk.content().length() + chunk.messageId().length(),
        json -> {
          json.writeStartObject();
          json.writeStringField("type", "chunk");
          json.writeNumberField("seq", chunk.seq());
          json.writeStringField("messageId", chunk.messageId());
          json.writeStringField("content", chunk.content());
          json.writeBooleanField("final", chunk.isFinal());
          json.writeEndObject();
        });
  }

  /** Writing to a streaming generator. */
  @FunctionalInterface
  interface Writing {
    void to(JsonGenerator json) throws IOException;
  }

  /** The JSON text {@code writing} generates; {@code sizeHint} is the expected length. */
  static String generate(int sizeHint, Writing writing) {
    StringWriter out = new StringWriter(sizeHint);
    try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
      writing.to(json);
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to a string cannot fail", e);
    }
    return out.toString();
  }

  /** A streaming parser over JSON text (messages between nodes). */
  static JsonParser parser(String text) throws IOException {
    return JSON.getFactory().createParser(text);
  }

  /** Writes {@link #chunk}'s object to a streaming generator. */
  static void writeChunk(JsonGenerator json, StoredChunk chunk) throws IOException {
    json.writeStartObject();
    json.writeNumberField("seq", chunk.seq());
    json.writeStringField("messageId", chunk.messageId());
    json.writeStringField("content", chunk.content());
    json.writeBooleanField("final", chunk.isFinal());
    json.writeStringField("createdAt", chunk.createdAt().toString());
    json.writeEndObject();
  }

  /**
   * WebSocket frame {@code {"type":"complete","lastSeq":10,"chain":"9f.."}}: the stream's last seq
   * and its hash chain link (hex), which a client that received chunks 1..lastSeq can recompute.
   */
  public static String completeFrame(long lastSeq, String chain) {
    ObjectNode node = object();
    node.put("type", "complete");
    node.put("lastSeq", lastSeq);
    node.put("chain", chain);
    return write(node);
  }

  /**
   * WebSocket close code for a stream whose chunks retention dropped (promise 10): distinct from
   * every other close, and final (a client does not reconnect).
   */
  public static final int CLOSE_STREAM_EXPIRED = 4410;

  /**
   * The reason sent with {@link #CLOSE_STREAM_EXPIRED}: {@code stream-expired earliestSeq=N}, N the
   * earliest seq the log could still hold for the stream.
   */
  public static String expiredCloseReason(long earliestSeq) {
    return ProblemType.STREAM_EXPIRED.code() + " earliestSeq=" + earliestSeq;
  }

  /**
   * WebSocket frame {@code {"type":"error","code":"stream-expired","message":..,"earliestSeq":N}}.
   */
  public static String expiredFrame(String message, long earliestSeq) {
    ObjectNode node = object();
    node.put("type", "error");
    node.put("code", ProblemType.STREAM_EXPIRED.code());
    node.put("message", message);
    node.put("earliestSeq", earliestSeq);
    return write(node);
  }

  /** WebSocket frame {@code {"type":"error","code":..,"message":..}}. */
  public static String errorFrame(ProblemType type, String message) {
    ObjectNode node = object();
    node.put("type", "error");
    node.put("code", type.code());
    node.put("message", message);
    return write(node);
  }

  /** The node as JSON text. */
  public static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }
}
