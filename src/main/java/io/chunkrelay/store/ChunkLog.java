package io.chunkrelay.store;

import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 2 (ack means durable; gap-free, commit-ordered seqs): the append-only chunk
 * log of every stream, the store's face to the rest of the node.
 *
 * <p>Appends are group-committed ({@link GroupCommitter}): concurrent appends, to any streams, are
 * written together in one transaction that locks each stream's row in stream-id order, takes {@code
 * head_seq + 1 .. head_seq + n} for each stream's chunks in arrival order, inserts them and moves
 * the heads ({@link GroupTransaction}). The row lock serialises appends to one stream across nodes
 * (so commit order is seq order and a rolled-back group leaves no hole). Idempotency keys are
 * looked up and stored in the same transaction, so racing retries of one request see each other's
 * outcome.
 */
public final class ChunkLog implements ChunkReader, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkLog.class);

  private final DataSource dataSource;
  private final GroupCommitter committer;
  private final ChunkQuery reads;
  private final Clock clock;
  private final CommitListener afterCommit;

  private ChunkLog(
      Database database,
      Clock clock,
      CommitListener afterCommit,
      GroupLimits limits,
      Executor notifier,
      Metrics metrics) {
    this.dataSource = database.dataSource();
    this.committer = new GroupCommitter(dataSource, clock, afterCommit, notifier, limits, metrics);
    this.reads = new ChunkQuery(dataSource);
    this.clock = clock;
    this.afterCommit = afterCommit;
  }

  /**
   * The log in {@code database}, its committer started; {@code afterCommit} hears of every append
   * (on {@code notifier}, one group after the other) and completion once it committed.
   */
  public static ChunkLog over(
      Database database,
      Clock clock,
      CommitListener afterCommit,
      GroupLimits limits,
      Executor notifier,
      Metrics metrics) {
    return new ChunkLog(database, clock, afterCommit, limits, notifier, metrics);
  }

  /**
   * Appends the request's chunks to its stream, creating the stream if it does not exist. The
   * future completes with their seqs once committed, or fails with {@link
   * ChunkLogException.StreamCompleted}, {@link ChunkLogException.IdempotencyKeyReused}, {@link
   * ChunkLogException.StaleProducerEpoch} or {@link ChunkLogException.ProducerSeqGap} (nothing
   * appended), or with {@link StoreException} (nothing committed). An idempotent producer's chunks
   * that the stream stored before are skipped ({@link Appended#duplicates()}).
   */
  public CompletableFuture<Appended> append(AppendRequest request) {
    return committer.submit(
        request,
        request.idempotencyKey().isPresent()
            ? fingerprint(request.chunks(), request.batch())
            : null);
  }

  /** Commits what is pending, then refuses further appends. */
  @Override
  public void close() {
    committer.close();
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
  @Override
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
    return chunksAfter(streamId, after, limit, ChunkQuery.UNBOUNDED_BYTES);
  }

  /**
   * Like {@link #chunksAfter(String, long, int)}, also bounded by content: the page ends before the
   * chunk that would take its content past {@code maxBytes} (its first chunk always comes).
   */
  public ChunkPage chunksAfter(String streamId, long after, int limit, long maxBytes) {
    try {
      return reads.chunksAfter(streamId, after, limit, maxBytes);
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
