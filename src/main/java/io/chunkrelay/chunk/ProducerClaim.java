package io.chunkrelay.chunk;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) for producers that resend: an append's claim to
 * be the next work of an idempotent producer (the Durable Streams / Kafka model). The append's
 * chunks are that producer's chunks number {@code seq}, {@code seq + 1}, ... of session {@code
 * epoch}; chunks it stored before are skipped, not stored twice.
 *
 * @param producerId the producer's stable name ({@code Producer-Id})
 * @param epoch its session, raised when it restarts ({@code Producer-Epoch}, from 0)
 * @param seq the number of the append's first chunk in the session ({@code Producer-Seq}, from 0)
 */
public record ProducerClaim(String producerId, long epoch, long seq) {
  /** Largest epoch and seq accepted: 2^53 - 1, the largest integer JavaScript holds exactly. */
  public static final long MAX_NUMBER = (1L << 53) - 1;

  /** Longest producer id, in characters. */
  public static final int MAX_ID_CHARS = 128;

  public ProducerClaim {
    if (producerId == null || producerId.isEmpty() || producerId.length() > MAX_ID_CHARS) {
      throw new IllegalArgumentException("a producer id has 1 to " + MAX_ID_CHARS + " characters");
    }
    if (epoch < 0 || epoch > MAX_NUMBER || seq < 0 || seq > MAX_NUMBER) {
      throw new IllegalArgumentException("epoch and seq are integers from 0 to " + MAX_NUMBER);
    }
  }

  /** The same producer and epoch, its first chunk {@code skipped} further on. */
  public ProducerClaim after(long skipped) {
    return new ProducerClaim(producerId, epoch, seq + skipped);
  }
}
