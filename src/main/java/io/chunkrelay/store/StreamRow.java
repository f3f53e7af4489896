package io.chunkrelay.store;

import io.chunkrelay.chunk.StreamStatus;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.time.LocalDate;
import org.hibernate.annotations.Immutable;

/**
 * Keeps the schema honest.
 *
 * <p>A row of {@code streams}. Born open at the first append to an unknown id (head 0), its head
 * moves forward by one per appended chunk while the appending transaction holds the row lock, and
 * it may be completed once; it is never deleted by the application.
 */
@Entity
@Immutable
@Table(name = "streams")
class StreamRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Column(name = "head_seq", nullable = false)
  long headSeq;

  @Column(name = "published_seq", nullable = false)
  long publishedSeq;

  @Convert(converter = StreamStatusConverter.class)
  @Column(name = "status", nullable = false)
  StreamStatus status;

  @Column(name = "created_at", nullable = false)
  Instant createdAt;

  @Column(name = "updated_at", nullable = false)
  Instant updatedAt;

  @Column(name = "completed_at")
  Instant completedAt;

  @Column(name = "stored_at", nullable = false)
  Instant storedAt;

  /** The UTC day its history is filed under (generated from stored_at). */
  @Column(name = "created_day", insertable = false, updatable = false)
  LocalDate createdDay;

  /** When retention dropped its chunks; null while they are held. */
  @Column(name = "expired_at")
  Instant expiredAt;
}
