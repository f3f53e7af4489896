package io.chunkrelay.store;

import jakarta.persistence.LockModeType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only chunk log of every stream.
 *
 * <p>An append is one transaction: make sure the stream's row exists, lock it, take {@code head_seq
 * + 1 .. head_seq + n} as the new seqs, insert the chunks, move the head, commit. The row lock
 * serialises appends to one stream (so commit order is seq order and a rolled-back append leaves no
 * hole), while appends to different streams lock different rows and never wait for each other.
 * Idempotency keys are checked and stored under the same lock, so racing retries of one request see
 * each other's outcome.
 */
public final class ChunkLog implements ChunkReader {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkLog.class);

  private final SessionFactory sessions;
  private final Clock clock;
  private final CommitListener afterCommit;

  private ChunkLog(SessionFactory sessions, Clock clock, CommitListener afterCommit) {
    this.sessions = sessions;
    this.clock = clock;
    this.afterCommit = afterCommit;
  }

  /**
   * The log over {@code sessions}; {@code afterCommit} hears of every append and completion once it
   * committed.
   */
  public static ChunkLog over(SessionFactory sessions, Clock clock, CommitListener afterCommit) {
    return new ChunkLog(sessions, clock, afterCommit);
  }

  /** What one append transaction produced: its outcome and, unless replayed, the stored chunks. */
  private record Committed(Appended appended, List<StoredChunk> stored) {}

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
    Committed committed =
        sessions.fromTransaction(
            session -> {
              Instant now = clock.instant();
              StreamRow stream = lockOrCreate(session, streamId, now);
              if (idempotencyKey.isPresent()) {
                IdempotencyRow earlier =
                    session.find(
                        IdempotencyRow.class,
                        new IdempotencyRow.Key(streamId, idempotencyKey.get()));
                if (earlier != null) {
                  if (!Arrays.equals(earlier.requestSha256, fingerprint)) {
                    throw new ChunkLogException.IdempotencyKeyReused(
                        streamId, idempotencyKey.get());
                  }
                  return new Committed(
                      new Appended(
                          streamId, earlier.firstSeq, earlier.lastSeq, earlier.batch, true),
                      List.of());
                }
              }
              if (stream.status == StreamStatus.COMPLETED) {
                throw new ChunkLogException.StreamCompleted(streamId, stream.headSeq);
              }
              long firstSeq = stream.headSeq + 1;
              long seq = firstSeq;
              List<StoredChunk> stored = new ArrayList<>(chunks.size());
              for (NewChunk chunk : chunks) {
                ChunkRow row = new ChunkRow();
                row.streamId = streamId;
                row.seq = seq++;
                row.messageId = chunk.messageId();
                row.content = chunk.content();
                row.finalChunk = chunk.isFinal();
                row.createdAt = now;
                session.persist(row);
                stored.add(row.toStored());
              }
              long lastSeq = seq - 1;
              stream.headSeq = lastSeq;
              stream.updatedAt = now;
              idempotencyKey.ifPresent(
                  key -> {
                    IdempotencyRow record = new IdempotencyRow();
                    record.streamId = streamId;
                    record.idempotencyKey = key;
                    record.requestSha256 = fingerprint;
                    record.firstSeq = firstSeq;
                    record.lastSeq = lastSeq;
                    record.batch = batch;
                    record.createdAt = now;
                    session.persist(record);
                  });
              return new Committed(new Appended(streamId, firstSeq, lastSeq, batch, false), stored);
            });
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
    StreamInfo completed =
        sessions.fromTransaction(
            session -> {
              StreamRow stream =
                  session.find(StreamRow.class, streamId, LockModeType.PESSIMISTIC_WRITE);
              if (stream == null) {
                throw new ChunkLogException.StreamNotFound(streamId);
              }
              if (stream.status == StreamStatus.OPEN) {
                Instant now = clock.instant();
                stream.status = StreamStatus.COMPLETED;
                stream.completedAt = now;
                stream.updatedAt = now;
              }
              return stream.toInfo();
            });
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
    return sessions.fromTransaction(
        session ->
            Optional.ofNullable(session.find(StreamRow.class, streamId)).map(StreamRow::toInfo));
  }

  /**
   * Up to {@code limit} chunks with seq greater than {@code after}, in seq order, read in one
   * snapshot together with the stream's head.
   *
   * @throws ChunkLogException.StreamNotFound if the stream does not exist
   */
  @Override
  public ChunkPage chunksAfter(String streamId, long after, int limit) {
    return sessions.fromTransaction(
        session -> {
          StreamRow stream = session.find(StreamRow.class, streamId);
          if (stream == null) {
            throw new ChunkLogException.StreamNotFound(streamId);
          }
          // Only committed chunks up to the head read in this transaction: a consistent prefix.
          List<StoredChunk> chunks =
              session
                  .createSelectionQuery(
                      "from ChunkRow where streamId = :streamId and seq > :after and seq <= :head"
                          + " order by seq",
                      ChunkRow.class)
                  .setParameter("streamId", streamId)
                  .setParameter("after", after)
                  .setParameter("head", stream.headSeq)
                  .setMaxResults(limit)
                  .getResultList()
                  .stream()
                  .map(ChunkRow::toStored)
                  .toList();
          return new ChunkPage(stream.toInfo(), chunks);
        });
  }

  private static StreamRow lockOrCreate(Session session, String streamId, Instant now) {
    StreamRow stream = session.find(StreamRow.class, streamId, LockModeType.PESSIMISTIC_WRITE);
    if (stream != null) {
      return stream;
    }
    // Two first appends may race: ON CONFLICT lets exactly one insert win, then both lock that row.
    session
        .createNativeMutationQuery(
            "insert into streams (stream_id, head_seq, published_seq, status, created_at, updated_at)"
                + " values (:streamId, 0, 0, 'open', :now, :now) on conflict (stream_id) do nothing")
        .setParameter("streamId", streamId)
        .setParameter("now", now)
        .executeUpdate();
    return session.find(StreamRow.class, streamId, LockModeType.PESSIMISTIC_WRITE);
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
