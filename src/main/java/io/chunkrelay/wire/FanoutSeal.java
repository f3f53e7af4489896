package io.chunkrelay.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps promise 9 (nobody reads or writes a stream they were not given) on Redis: a fan-out message
 * is believed only if a node of the cluster wrote it.
 *
 * <p>Sealed, a message is {@code s1.<mac>.<body>}: the body (a {@link FanoutMessage}) behind an
 * HMAC-SHA256, in base64url, over the channel and the body, keyed with a key derived from the
 * cluster key. Whoever can PUBLISH to Redis but does not hold the key cannot make a message that
 * opens, nor move a real one to another stream's channel. Without a key (a node that requires no
 * tokens and was given none), messages go unsealed and are taken as they come.
 */
public final class FanoutSeal {
  private static final String PREFIX = "s1.";
  private static final String ALGORITHM = "HmacSHA256";
  private static final int MAC_CHARS = 43; // 32 bytes in unpadded base64url
  private static final byte[] DERIVATION =
      "chunk-relay fan-out message key v1".getBytes(StandardCharsets.UTF_8);

  private final Optional<SecretKeySpec> key;
  private final ThreadLocal<Mac> macs;

  private FanoutSeal(Optional<SecretKeySpec> key) {
    this.key = key;
    this.macs = ThreadLocal.withInitial(() -> mac(key.orElseThrow()));
  }

  /** The seal of {@code clusterKey}; empty: messages are neither sealed nor checked. */
  public static FanoutSeal of(Optional<String> clusterKey) {
    // A key of its own for this use, so the cluster key (perhaps the JWT secret) signs nothing
    // else.
    return new FanoutSeal(
        clusterKey.map(
            secret -> {
              Mac derive =
                  mac(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
              return new SecretKeySpec(derive.doFinal(DERIVATION), ALGORITHM);
            }));
  }

  /** A message that did not come from a node holding the cluster key. */
  public static final class Forged extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    Forged(String why) {
      super(why);
    }
  }

  /** Whether messages are sealed and checked. */
  public boolean active() {
    return key.isPresent();
  }

  /** {@code body} as it goes out on {@code channel}. */
  public String seal(String channel, String body) {
    if (key.isEmpty()) {
      return body;
    }
    return PREFIX + macOf(channel, body) + "." + body;
  }

  /**
   * The body of a message heard on {@code channel}; throws {@link Forged} when its seal is missing
   * or does not match.
   */
  public String open(String channel, String message) {
    if (key.isEmpty()) {
      return message;
    }
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
