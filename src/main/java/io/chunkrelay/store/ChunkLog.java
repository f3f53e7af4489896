package io.chunkrelay.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 2: the append-only chunk log of every stream, the store's face to the rest
 * of the node.
 *
 * <p>An append is one transaction: make sure the stream's row exists, lock it, take {@code head_seq
 * + 1 .. head_seq + n} as the new seqs, insert the chunks, move the head, commit (see {@link
 * AppendTransaction}). The row lock serialises appends to one stream (so commit order is seq order
 * and a rolled-back append leaves no hole), while appends to different streams lock different rows
 * and never wait for each other. Idempotency keys are checked and stored under the same lock, so
 * racing retries of one request see each other's outcome.
 */
public final class ChunkLog implements ChunkReader {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkLog.class);

  private final DataSource dataSource;
  private final AppendTransaction appends;
  private final ChunkQuery reads;
  private final Clock clock;
  private final CommitListener afterCommit;

  private ChunkLog(Database database, Clock clock, CommitListener afterCommit) {
    this.dataSource = database.dataSource();
    this.appends = new AppendTransaction(database.dataSource());
    this.reads = new ChunkQuery(database.dataSource());
    this.clock = clock;
    this.afterCommit = afterCommit;
  }

  /**
   * The log in {@code database}; {@code afterCommit} hears of every append and completion once it
   * committed.
   */
  public static ChunkLog over(Database database, Clock clock, CommitListener afterCommit) {
    return new ChunkLog(database, clock, afterCommit);
  }

  /**
   * Appends {@code chunks} (at least one) to the stream, creating it if it does not exist, and
   * returns their seqs once committed.
   *
   * @param batch whether the producer sent an array (kept with the idempotency key)
   * @param idempotencyKey when present, a repeat of the same request returns the original seqs
   * @throws ChunkLogException.StreamCompleted if the stream was completed
   * @throws ChunkLogException.IdempotencyKeyReused if the key was used for another request
   */
  public Appended append(
      String streamId, List<NewChunk> chunks, boolean batch, Optional<String> idempotencyKey) {
    if (chunks.isEmpty()) {
      throw new IllegalArgumentException("an append needs at least one chunk");
    }
    byte[] fingerprint = fingerprint(chunks, batch);
    AppendTransaction.Result committed;
    try {
      committed =
          appends.run(streamId, chunks, batch, idempotencyKey, fingerprint, clock.instant());
    } catch (SQLException e) {
      throw new StoreException("append to stream " + streamId + " failed", e);
    }
    if (!committed.appended().replayed()) {
      tell(() -> afterCommit.appended(streamId, committed.stored()));
    }
    return committed.appended();
  }

  /**
   * Completes the stream: it accepts no more chunks. Completing a completed stream is a no-op.
   *
   * @return the stream's last seq
   * @throws ChunkLogException.StreamNotFound if the stream does not exist
   */
  public StreamInfo complete(String streamId) {
    StreamInfo completed;
    try (Connection connection = dataSource.getConnection()) {
      completed =
          StreamRows.complete(connection, streamId, clock.instant())
              .orElseThrow(() -> new ChunkLogException.StreamNotFound(streamId));
    } catch (SQLException e) {
      throw new StoreException("completing stream " + streamId + " failed", e);
    }
    tell(() -> afterCommit.completed(streamId, completed.headSeq()));
    return completed;
  }

  private static void tell(Runnable notification) {
    try {
      notification.run();
    } catch (RuntimeException e) {
      // Committed is committed: readers find the change in the log; report, do not fail the caller.
      LOG.error("after-commit notification failed", e);
    }
  }

  /** The stream as of now, if it exists. */
  public Optional<StreamInfo> stream(String streamId) {
    try (Connection connection = dataSource.getConnection()) {
      return StreamRows.read(connection, streamId);
    } catch (SQLException e) {
      throw new StoreException("reading stream " + streamId + " failed", e);
    }
  }

  /**
   * Up to {@code limit} chunks with seq greater than {@code after}, in seq order, read in one
   * snapshot together with the stream's head.
   *
   * @throws ChunkLogException.StreamNotFound if the stream does not exist
   */
  @Override
  public ChunkPage chunksAfter(String streamId, long after, int limit) {
    try {
      return reads.chunksAfter(streamId, after, limit);
    } catch (SQLException e) {
      throw new StoreException("reading stream " + streamId + " after seq " + after + " failed", e);
    }
  }

  /** SHA-256 over a length-prefixed rendering of the request, so retries compare exactly. */
  private static byte[] fingerprint(List<NewChunk> chunks, boolean batch) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    digest.update((byte) (batch ? 1 : 0));
    for (NewChunk chunk : chunks) {
      field(digest, chunk.messageId());
      field(digest, chunk.content());
      digest.update((byte) (chunk.isFinal() ? 1 : 0));
    }
    return digest.digest();
  }

  private static void field(MessageDigest digest, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    digest.update(
        new byte[] {
          (byte) (bytes.length >>> 24),
          (byte) (bytes.length >>> 16),
          (byte) (bytes.length >>> 8),
          (byte) bytes.length
        });
    digest.update(bytes);
  }
}
