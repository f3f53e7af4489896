package io.chunkrelay.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A stream's hash chain, as the log stores it (docs/API.md, "Verifying a stream"): each chunk's
 * link is SHA-256 over the previous link, its seq and everything a client receives of it, starting
 * from the stream's genesis. A client that received chunks 1..n computes link n and compares it
 * with the {@code chain} of the stream's {@code complete} frame or of {@code GET
 * /api/streams/{id}}: equal means it received exactly what the database holds.
 *
 * <pre>
 * genesis  = sha256("chunk-relay:" + streamId)
 * link(n)  = sha256(link(n-1) || int64(seq) || int32(bytes of messageId) || messageId
 *                   || byte(final ? 1 : 0) || content)       big-endian integers, UTF-8 text
 * </pre>
 *
 * <p>Immutable: {@link #next} returns the chain one chunk further.
 */
public final class StreamChain {
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] link;

  private StreamChain(byte[] link) {
    this.link = link;
  }

  /** The chain of {@code streamId} before its first chunk. */
  public static StreamChain genesis(String streamId) {
    MessageDigest sha256 = sha256();
    sha256.update(("chunk-relay:" + streamId).getBytes(StandardCharsets.UTF_8));
    return new StreamChain(sha256.digest());
  }

  /** The chain after {@code chunk}, which must be the chunk after this chain's last. */
  public StreamChain next(Chunk chunk) {
    return next(chunk.seq(), chunk.messageId(), chunk.isFinal(), chunk.content());
  }

  /** The chain after the chunk {@code seq} with these fields. */
  public StreamChain next(long seq, String messageId, boolean isFinal, String content) {
    byte[] id = messageId.getBytes(StandardCharsets.UTF_8);
    MessageDigest sha256 = sha256();
    sha256.update(link);
    sha256.update(
        ByteBuffer.allocate(Long.BYTES + Integer.BYTES).putLong(seq).putInt(id.length).array());
    sha256.update(id);
    sha256.update((byte) (isFinal ? 1 : 0));
    sha256.update(content.getBytes(StandardCharsets.UTF_8));
    return new StreamChain(sha256.digest());
  }

  /** The last link, lowercase hex, as the server sends it. */
  public String hex() {
    return HEX.formatHex(link);
  }

  /** Whether this chain ends in the link the server sent ({@code hex}, any case). */
  public boolean matches(String hex) {
    return hex != null && hex.equalsIgnoreCase(hex());
  }

  @Override
  public String toString() {
    return hex();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
