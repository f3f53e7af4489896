package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.time.LocalDate;
import org.hibernate.annotations.Immutable;

/**
 * A row of the {@code stream_health} view, read through Hibernate for the audit API ({@link
 * AuditLog}): one stream's head, watermark, outbox lag, age, producers and last writer.
 */
@Entity
@Immutable
@Table(name = "stream_health")
class StreamHealthRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Column(name = "status")
  String status;

  @Column(name = "head_seq")
  long headSeq;

  @Column(name = "published_seq")
  long publishedSeq;

  @Column(name = "unpublished_chunks")
  long unpublishedChunks;

  @Column(name = "unpublished_seconds")
  Double unpublishedSeconds;

  @Column(name = "created_at")
  Instant createdAt;

  @Column(name = "updated_at")
  Instant updatedAt;

  @Column(name = "completed_at")
  Instant completedAt;

  @Column(name = "age_seconds")
  double ageSeconds;

  @Column(name = "producers")
  long producers;

  @Column(name = "last_writer")
  String lastWriter;

  @Column(name = "last_stored_at")
  Instant lastStoredAt;

  @Column(name = "head_chain")
  String headChain;

  @Column(name = "created_day")
  LocalDate createdDay;

  @Column(name = "expired_at")
  Instant expiredAt;

  @Column(name = "legal_hold")
  boolean legalHold;
}
