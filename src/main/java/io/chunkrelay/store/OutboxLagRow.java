package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

/**
 * A row of the {@code outbox_lag} view: a stream with committed chunks not yet known published.
 * Mapped so start-up validates the view the audit documents ({@link AuditLog}).
 */
@Entity
@Immutable
@Table(name = "outbox_lag")
class OutboxLagRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Column(name = "head_seq")
  long headSeq;

  @Column(name = "published_seq")
  long publishedSeq;

  @Column(name = "unpublished_chunks")
  long unpublishedChunks;

  @Column(name = "unpublished_seconds")
  double unpublishedSeconds;
}
