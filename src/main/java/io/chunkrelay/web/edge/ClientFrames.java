package io.chunkrelay.web.edge;

/**
 * Reads the frame headers of what a WebSocket client sends, before Tyrus does, and stops at the
 * first frame RFC 6455 or this node refuses: an unmasked one (section 5.1: close with 1002) or one
 * whose payload is over the node's limit (close with 1009).
 *
 * <p>Tyrus buffers a whole frame before it looks at it (4 MiB, then gives up with 1011) and takes
 * unmasked client frames. This class lets the upgrade handler refuse such a frame after its first
 * header bytes instead: {@link #admit} returns how many of the bytes just read may go on to Tyrus,
 * fewer than were read once a refused frame's header shows itself. It parses headers only and skips
 * payloads by counting; one instance per connection, called from its one reading thread.
 */
public final class ClientFrames {
  /**
   * Largest client frame or message the node reads; any data frame is refused anyway (1003), since
   * the node is sent nothing but control frames. A larger frame is closed with 1009 by {@link
   * CheckedUpgradeHandler} as soon as its header arrives.
   */
  public static final int MAX_CLIENT_FRAME_BYTES = 64 * 1024;

  /** Why a client's frame was refused, with the close code RFC 6455 gives for it. */
  enum Refusal {
    UNMASKED(1002, "client frames must be masked"),
    TOO_BIG(1009, "frame larger than this node accepts");

    private final int closeCode;
    private final String reason;

    Refusal(int closeCode, String reason) {
      this.closeCode = closeCode;
      this.reason = reason;
    }

    int closeCode() {
      return closeCode;
    }

    String reason() {
      return reason;
    }
  }

  private static final int MASK_KEY_BYTES = 4;

  private final long maxPayloadBytes;
  private final byte[] lengthBytes = new byte[8];
  private int headerSeen;
  private int headerBytes;
  private int lengthCode;
  private long payloadLeft;
  private Refusal refusal;

  ClientFrames(long maxPayloadBytes) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** The refusal found so far, or null while every frame has been acceptable. */
  Refusal refusal() {
    return refusal;
  }

  /**
   * Looks at {@code length} bytes just read; returns how many of them, from {@code offset}, may be
   * handed on: all of them, or those before the byte that showed a frame to be refused (then {@link
   * #refusal()} says why, and every later call admits nothing).
   */
  int admit(byte[] bytes, int offset, int length) {
    if (refusal != null) {
      return 0;
    }
    int end = offset + length;
    int at = offset;
    while (at < end) {
      if (payloadLeft > 0) {
        int skipped = (int) Math.min(payloadLeft, end - at);
        payloadLeft -= skipped;
        at += skipped;
        continue;
      }
      refusal = header(bytes[at]);
      if (refusal != null) {
        return at - offset;
      }
      at++;
    }
    return length;
  }

  /** Takes the next header byte; a refusal once the header shows one. */
  private Refusal header(byte value) {
    int index = headerSeen++;
    if (index == 1) {
      if ((value & 0x80) == 0) {
        return Refusal.UNMASKED;
      }
      lengthCode = value & 0x7f;
      int extendedBytes = lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0;
      headerBytes = 2 + extendedBytes + MASK_KEY_BYTES;
      if (extendedBytes == 0 && lengthCode > maxPayloadBytes) {
        return Refusal.TOO_BIG;
      }
    } else if (index >= 2 && index < headerBytes - MASK_KEY_BYTES) {
      lengthBytes[index - 2] = value;
      if (index == headerBytes - MASK_KEY_BYTES - 1 && extendedLength() > maxPayloadBytes) {
        return Refusal.TOO_BIG;
      }
    }
    if (index >= 1 && headerSeen == headerBytes) {
      payloadLeft = lengthCode < 126 ? lengthCode : extendedLength();
      headerSeen = 0;
    }
    return null;
  }

  /** The 16- or 64-bit payload length; a 64-bit one with its top bit set counts as too big. */
  private long extendedLength() {
    int count = lengthCode == 126 ? 2 : 8;
    long length = 0;
    for (int i = 0; i < count; i++) {
      length = (length << 8) | (lengthBytes[i] & 0xff);
    }
    return length < 0 ? Long.MAX_VALUE : length;
  }
}
