package io.chunkrelay.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.query.SelectionQuery;

/**
 * The read-only audit side of the log, through Hibernate: the {@code stream_health} view (mapped as
 * an immutable entity), a stream's producers, and the verifier's findings ({@code verify_log(id)}).
 * Served to callers with the audit scope; the append and delivery paths never come here (they are
 * plain JDBC).
 */
public final class AuditLog {
  /** Streams per page of {@link #streams}. */
  public static final int PAGE_SIZE = 100;

  private final SessionFactory sessions;

  private AuditLog(SessionFactory sessions) {
    this.sessions = sessions;
  }

  /** The audit side of {@code database}. */
  public static AuditLog over(Database database) {
    return new AuditLog(database.sessions());
  }

  /** One stream's health, as {@code stream_health} shows it. */
  public record StreamHealth(
      String streamId,
      String status,
      long headSeq,
      long publishedSeq,
      long unpublishedChunks,
      Double unpublishedSeconds,
      Instant createdAt,
      Instant updatedAt,
      Instant completedAt,
      double ageSeconds,
      long producers,
      String lastWriter,
      Instant lastStoredAt,
      String headChain,
      Instant expiredAt,
      boolean legalHold) {}

  /** An idempotent producer of a stream. */
  public record Producer(
      String producerId,
      long epoch,
      long lastSeq,
      long lastStreamSeq,
      String owner,
      Instant updatedAt) {}

  /** One problem the verifier found; {@code seq} is null for a problem of the whole stream. */
  public record Problem(Long seq, String problem, String detail) {}

  /** Everything the audit knows about one stream. */
  public record StreamAudit(
      StreamHealth health, List<Producer> producers, List<Problem> problems) {}

  /** A page of streams, in stream-id order, and whether another page follows. */
  public record Page(List<StreamHealth> streams, boolean more) {}

  /**
   * Page {@code page} (from 1) of the streams with {@code status} (any when empty) whose oldest
   * unpublished chunk is older than {@code laggingOverSeconds} (any when empty).
   */
  public Page streams(Optional<String> status, Optional<Double> laggingOverSeconds, int page) {
    StringBuilder hql = new StringBuilder("from StreamHealthRow h where 1 = 1");
    status.ifPresent(s -> hql.append(" and h.status = :status"));
    laggingOverSeconds.ifPresent(s -> hql.append(" and h.unpublishedSeconds > :lagging"));
    hql.append(" order by h.streamId");
    try (StatelessSession session = sessions.openStatelessSession()) {
      SelectionQuery<StreamHealthRow> query =
          session.createSelectionQuery(hql.toString(), StreamHealthRow.class);
      status.ifPresent(s -> query.setParameter("status", s));
      laggingOverSeconds.ifPresent(s -> query.setParameter("lagging", s));
      List<StreamHealthRow> rows =
          query.setFirstResult((page - 1) * PAGE_SIZE).setMaxResults(PAGE_SIZE + 1).list();
      boolean more = rows.size() > PAGE_SIZE;
      List<StreamHealth> streams = new ArrayList<>();
      for (StreamHealthRow row : rows.subList(0, Math.min(rows.size(), PAGE_SIZE))) {
        streams.add(health(row));
      }
      return new Page(streams, more);
    }
  }

  /** The stream's health, producers and the verifier's findings; empty for an unknown stream. */
  public Optional<StreamAudit> stream(String streamId) {
    try (StatelessSession session = sessions.openStatelessSession()) {
      StreamHealthRow row = session.get(StreamHealthRow.class, streamId);
      if (row == null) {
        return Optional.empty();
      }
      List<Producer> producers = new ArrayList<>();
      for (ProducerRow producer :
          session
              .createSelectionQuery(
                  // A producer's newest row is its state (one row per day it wrote on).
                  "from ProducerRow p where p.streamId = :id and p.activeDay = (select"
                      + " max(q.activeDay) from ProducerRow q where q.streamId = p.streamId"
                      + " and q.producerId = p.producerId) order by p.producerId",
                  ProducerRow.class)
              .setParameter("id", streamId)
              .list()) {
        producers.add(
            new Producer(
                producer.producerId,
                producer.epoch,
                producer.lastSeq,
                producer.lastStreamSeq,
                producer.owner,
                producer.updatedAt));
      }
      List<Problem> problems = new ArrayList<>();
      for (Object[] problem :
          session
              .createNativeQuery("select seq, problem, detail from verify_log(:id)", Object[].class)
              .setParameter("id", streamId)
              .list()) {
        problems.add(
            new Problem(
                problem[0] == null ? null : ((Number) problem[0]).longValue(),
                (String) problem[1],
                (String) problem[2]));
      }
      return Optional.of(new StreamAudit(health(row), producers, problems));
    }
  }

  private static StreamHealth health(StreamHealthRow row) {
    return new StreamHealth(
        row.streamId,
        row.status,
        row.headSeq,
        row.publishedSeq,
        row.unpublishedChunks,
        row.unpublishedSeconds,
        row.createdAt,
        row.updatedAt,
        row.completedAt,
        row.ageSeconds,
        row.producers,
        row.lastWriter,
        row.lastStoredAt,
        row.headChain,
        row.expiredAt,
        row.legalHold);
  }
}
