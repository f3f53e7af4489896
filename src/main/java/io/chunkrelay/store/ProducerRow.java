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
 * <p>A row of {@code producers}: an idempotent producer's session and the number of the last chunk
 * it stored on a stream. Written and read by {@link ProducerFence}; this mapping is what Hibernate
 * validates the table against.
 */
@Entity
@Immutable
@Table(name = "producers")
@IdClass(ProducerRow.Key.class)
class ProducerRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Id
  @Column(name = "producer_id")
  String producerId;

  @Column(name = "epoch", nullable = false)
  long epoch;

  @Column(name = "last_seq", nullable = false)
  long lastSeq;

  @Column(name = "last_stream_seq", nullable = false)
  long lastStreamSeq;

  @Column(name = "updated_at", nullable = false)
  Instant updatedAt;

  /** The subject that first used this Producer-Id on the stream; null when nobody was named. */
  @Column(name = "owner", length = 255)
  String owner;

  /** A day the producer wrote on: its newest row is its state. */
  @Id
  @Column(name = "active_day")
  LocalDate activeDay;

  /** Primary key of a producer's state on one day. */
  record Key(String streamId, String producerId, LocalDate activeDay) implements Serializable {}
}
