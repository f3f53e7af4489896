package io.chunkrelay.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps promise 9 (nobody reads or writes a stream they were not given) on Redis: a fan-out message
 * is believed only if a node of the cluster wrote it.
 *
 * <p>Sealed, a message is {@code s1.<mac>.<body>}: the body (a {@link FanoutMessage}) behind an
 * HMAC-SHA256, in base64url, over the channel and the body, keyed with a key derived from the
 * cluster key. Whoever can PUBLISH to Redis but does not hold the key cannot make a message that
 * opens, nor move a real one to another stream's channel. There is no unsealed mode: a node that
 * was given no key uses the one its deployment generated and keeps in PostgreSQL.
 */
public final class FanoutSeal {
  private static final String PREFIX = "s1.";
  private static final String ALGORITHM = "HmacSHA256";
  private static final int MAC_CHARS = 43; // 32 bytes in unpadded base64url
  private static final byte[] DERIVATION =
      "chunk-relay fan-out message key v1".getBytes(StandardCharsets.UTF_8);

  /** The shortest cluster key accepted, in bytes. */
  public static final int MIN_KEY_BYTES = 32;

  private final ThreadLocal<Mac> macs;

  private FanoutSeal(SecretKeySpec key) {
    this.macs = ThreadLocal.withInitial(() -> mac(key));
  }

  /** The seal of {@code clusterKey} (at least {@link #MIN_KEY_BYTES} bytes). */
  public static FanoutSeal of(byte[] clusterKey) {
    if (clusterKey.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "a fan-out key needs at least " + MIN_KEY_BYTES + " bytes, got " + clusterKey.length);
    }
    // A key of its own for this use, so the cluster key (perhaps the JWT secret) signs nothing
    // else.
    Mac derive = mac(new SecretKeySpec(clusterKey, ALGORITHM));
    return new FanoutSeal(new SecretKeySpec(derive.doFinal(DERIVATION), ALGORITHM));
  }

  /** The seal of a configured cluster key, as its UTF-8 bytes. */
  public static FanoutSeal of(String clusterKey) {
    return of(clusterKey.getBytes(StandardCharsets.UTF_8));
  }

  /** A message that did not come from a node holding the cluster key. */
  public static final class Forged extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    Forged(String why) {
      super(why);
    }
  }

  /** {@code body} as it goes out on {@code channel}. */
  public String seal(String channel, String body) {
    return PREFIX + macOf(channel, body) + "." + body;
  }

  /**
   * The body of a message heard on {@code channel}; throws {@link Forged} when its seal is missing
   * or does not match.
   */
  public String open(String channel, String message) {
    int bodyAt = PREFIX.length() + MAC_CHARS + 1;
    if (message.length() < bodyAt
        || !message.startsWith(PREFIX)
        || message.charAt(bodyAt - 1) != '.') {
      throw new Forged("no seal");
    }
    String body = message.substring(bodyAt);
    byte[] expected = macOf(channel, body).getBytes(StandardCharsets.US_ASCII);
    byte[] given =
        message.substring(PREFIX.length(), bodyAt - 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new Forged("seal does not match");
    }
    return body;
  }

  private String macOf(String channel, String body) {
    Mac mac = macs.get();
    mac.update(channel.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) '\n');
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available: " + e, e);
    }
  }
}
