package io.chunkrelay.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps the hash chain off the database's append path (promise 11's chain, issue 20): the head of
 * the streams this committer wrote (the last seq and its chain link), most recent {@value
 * #CAPACITY}, from which the node computes the links of the chunks it stores next. It is a hint,
 * never trusted: the storing statement moves a stream only while its head is still the one the
 * links were computed from, and a stream whose head moved elsewhere (another node) is read again.
 * Only committed heads go in. Confined to the committer's thread.
 *
 * <p>The link is the one docs/DBA.md defines and {@code chain_link()} computes in SQL: {@code
 * sha256(previous || int8(seq) || int4(bytes of message_id) || message_id || byte(final) ||
 * content)}, from {@code sha256('chunk-relay:' || stream_id)} before chunk 1.
 */
final class StreamHeads {
  static final int CAPACITY = 100_000;

  /** A stream's last seq and that chunk's chain link (the genesis at seq 0). */
  record Head(long seq, byte[] chain) {}

  private final Map<String, Head> heads =
      new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Head> eldest) {
          return size() > CAPACITY;
        }
      };

  /** The head last committed by this committer, or null when it does not know the stream. */
  Head get(String streamId) {
    return heads.get(streamId);
  }

  /** Whether the stream exists, as far as this committer saw. */
  boolean knows(String streamId) {
    return heads.containsKey(streamId);
  }

  /** Records a committed head. */
  void put(String streamId, Head head) {
    heads.put(streamId, head);
  }

  /** Forgets the stream: its head moved elsewhere, or it is gone. */
  void forget(String streamId) {
    heads.remove(streamId);
  }

  /** The head of a stream without chunks. */
  static Head empty(String streamId) {
    MessageDigest sha256 = sha256();
    sha256.update(("chunk-relay:" + streamId).getBytes(StandardCharsets.UTF_8));
    return new Head(0, sha256.digest());
  }

  /** The link of the chunk {@code seq} after the link {@code previous}. */
  static byte[] link(byte[] previous, long seq, String messageId, boolean isFinal, String content) {
    byte[] id = messageId.getBytes(StandardCharsets.UTF_8);
    MessageDigest sha256 = sha256();
    sha256.update(previous);
    sha256.update(
        ByteBuffer.allocate(Long.BYTES + Integer.BYTES).putLong(seq).putInt(id.length).array());
    sha256.update(id);
    sha256.update((byte) (isFinal ? 1 : 0));
    sha256.update(content.getBytes(StandardCharsets.UTF_8));
    return sha256.digest();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
