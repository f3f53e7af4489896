package io.chunkrelay.delivery;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.wire.WireFormat;
import java.nio.charset.StandardCharsets;

/**
 * Keeps frames rendered once and promise 5's bound measurable.
 *
 * <p>One WebSocket text frame to send, rendered once and shared by every connection that sends it:
 * a chunk ({@code seq >= 1}) or the final {@code complete} frame, after which the connection
 * closes.
 *
 * @param seq the chunk's seq, or the stream's last seq for the complete frame
 * @param text the frame exactly as sent
 * @param bytes UTF-8 size of {@code text}, which is what the outbound queue is bounded by
 * @param last whether this is the complete frame
 */
public record Frame(long seq, String text, int bytes, boolean last) {
  /** The chunk's frame. */
  public static Frame of(StoredChunk chunk) {
    return chunk(chunk.seq(), WireFormat.chunkFrame(chunk));
  }

  static Frame chunk(long seq, String text) {
    return new Frame(seq, text, text.getBytes(StandardCharsets.UTF_8).length, false);
  }

  static Frame complete(long lastSeq, String chain) {
    String text = WireFormat.completeFrame(lastSeq, chain);
    return new Frame(lastSeq, text, text.getBytes(StandardCharsets.UTF_8).length, true);
  }
}
