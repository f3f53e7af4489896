package io.chunkrelay.web.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) for append bodies.
 *
 * <p>Turns an append request body into chunks, or refuses it with the first thing wrong. A body is
 * one chunk object or a non-empty array of them (or, streamed, one chunk object per line); a chunk
 * has a string {@code messageId}, a string {@code content} and optionally a boolean {@code final},
 * and nothing else. Types are never coerced.
 */
public final class ChunkRequestParser {
  private static final Set<String> FIELDS = Set.of("messageId", "content", "final");
  private static final ObjectReader READER = WireFormat.strictReader();

  private final Limits limits;

  ChunkRequestParser(Limits limits) {
    this.limits = limits;
  }

  /** A parsed append: its chunks and whether the body was an array. */
  record ParsedAppend(List<NewChunk> chunks, boolean batch) {}

  ParsedAppend parse(byte[] body) {
    JsonNode root;
    try {
      root = READER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiException(ProblemType.MALFORMED_JSON, "the body is not valid JSON: " + brief(e));
    } catch (IOException e) {
      throw new ApiException(ProblemType.MALFORMED_JSON, "the body could not be read as JSON");
    }
    if (root == null || root.isMissingNode()) {
      throw new ApiException(ProblemType.MALFORMED_JSON, "the body is empty");
    }
    if (root.isObject()) {
      return new ParsedAppend(List.of(chunk(root, "")), false);
    }
    if (!root.isArray()) {
      throw new ApiException(
          ProblemType.INVALID_CHUNK,
          "the body must be a chunk object or an array of chunk objects");
    }
    if (root.isEmpty()) {
      throw new ApiException(ProblemType.INVALID_CHUNK, "a batch needs at least one chunk");
    }
    if (root.size() > limits.maxBatchChunks()) {
      throw new ApiException(
          ProblemType.BATCH_TOO_LARGE,
          "a batch has at most " + limits.maxBatchChunks() + " chunks, got " + root.size());
    }
    List<NewChunk> chunks = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      chunks.add(chunk(root.get(i), "[" + i + "]"));
    }
    return new ParsedAppend(List.copyOf(chunks), true);
  }

  /**
   * One line of a streamed ({@code application/x-ndjson}) body: a chunk object. {@code number}
   * counts lines from 1 and names the line in any refusal.
   */
  NewChunk line(byte[] buffer, int offset, int length, long number) {
    String path = "line " + number;
    JsonNode root;
    try {
      root = READER.readTree(buffer, offset, length);
    } catch (JsonProcessingException e) {
      throw new ApiException(
          ProblemType.MALFORMED_JSON, path + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ApiException(ProblemType.MALFORMED_JSON, path + " could not be read as JSON");
    }
    if (root == null || root.isMissingNode()) {
      throw new ApiException(ProblemType.MALFORMED_JSON, path + " is empty");
    }
    return chunk(root, path);
  }

  private NewChunk chunk(JsonNode node, String path) {
    if (!node.isObject()) {
      throw new ApiException(ProblemType.INVALID_CHUNK, where(path) + "must be a JSON object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new ApiException(
            ProblemType.INVALID_CHUNK,
            where(path) + "has unknown field '" + name + "' (allowed: messageId, content, final)");
      }
    }
    String messageId = text(node, path, "messageId");
    if (messageId.isEmpty() || messageId.length() > Limits.MESSAGE_ID_MAX_CHARS) {
      throw new ApiException(
          ProblemType.INVALID_CHUNK,
          where(path) + "messageId must have 1 to " + Limits.MESSAGE_ID_MAX_CHARS + " characters");
    }
    String content = text(node, path, "content");
    int bytes = content.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > limits.maxChunkBytes()) {
      throw new ApiException(
          ProblemType.CHUNK_TOO_LARGE,
          where(path)
              + "content has "
              + bytes
              + " UTF-8 bytes; the limit is "
              + limits.maxChunkBytes());
    }
    JsonNode finalNode = node.get("final");
    if (finalNode != null && !finalNode.isBoolean()) {
      throw new ApiException(ProblemType.INVALID_CHUNK, where(path) + "final must be a boolean");
    }
    return new NewChunk(messageId, content, finalNode != null && finalNode.booleanValue());
  }

  private static String text(JsonNode node, String path, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new ApiException(ProblemType.INVALID_CHUNK, where(path) + field + " is required");
    }
    if (!value.isTextual()) {
      throw new ApiException(ProblemType.INVALID_CHUNK, where(path) + field + " must be a string");
    }
    String text = value.textValue();
    String problem = problemWithText(text);
    if (problem != null) {
      throw new ApiException(ProblemType.INVALID_CHUNK, where(path) + field + problem);
    }
    return text;
  }

  /**
   * Why PostgreSQL's text cannot hold {@code text} as sent (it cannot hold U+0000, and UTF-8 has no
   * unpaired surrogate: it would be stored as '?'), or null when it can.
   */
  public static String problemWithText(String text) {
    if (text.indexOf('\0') >= 0) {
      return " must not contain U+0000";
    }
    if (!wellFormed(text)) {
      return " contains an unpaired surrogate";
    }
    return null;
  }

  private static boolean wellFormed(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static String where(String path) {
    if (path.startsWith("line ")) {
      return "the chunk on " + path + " ";
    }
    return path.isEmpty() ? "the chunk " : "chunk " + path + " ";
  }

  /** Jackson's message without the source excerpt it appends. */
  private static String brief(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
    int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
    return line < 0 ? message : message + " (line " + line + ", column " + column + ")";
  }
}
