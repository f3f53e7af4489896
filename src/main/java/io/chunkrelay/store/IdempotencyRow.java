package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDate;
import org.hibernate.annotations.Immutable;

/**
 * Keeps the schema honest.
 *
 * <p>A row of {@code idempotency_keys}: the outcome of an append made with an Idempotency-Key.
 * Written and read by {@link GroupTransaction}; this mapping is what Hibernate validates the table
 * against.
 */
@Entity
@Immutable
@Table(name = "idempotency_keys")
@IdClass(IdempotencyRow.Key.class)
class IdempotencyRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Id
  @Column(name = "idempotency_key")
  String idempotencyKey;

  @Column(name = "request_sha256", nullable = false)
  byte[] requestSha256;

  @Column(name = "first_seq", nullable = false)
  long firstSeq;

  @Column(name = "last_seq", nullable = false)
  long lastSeq;

  @Column(name = "batch", nullable = false)
  boolean batch;

  @Column(name = "created_at", nullable = false)
  Instant createdAt;

  /** The partition key: the UTC day the key was stored. */
  @Column(name = "created_day", nullable = false)
  LocalDate createdDay;

  /** Primary key of an idempotency record. */
  record Key(String streamId, String idempotencyKey) implements Serializable {}
}
