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
 * <p>A row of {@code publications}: one move of a stream's outbox watermark, written with the move
 * ({@link Outbox#advance}), never changed.
 */
@Entity
@Immutable
@Table(name = "publications")
@IdClass(PublicationRow.Key.class)
class PublicationRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Id
  @Column(name = "last_seq")
  long lastSeq;

  @Column(name = "first_seq", nullable = false)
  long firstSeq;

  @Column(name = "published_at", nullable = false)
  Instant publishedAt;

  /** The partition key: its stream's created_day. */
  @Column(name = "stream_day", nullable = false)
  LocalDate streamDay;

  record Key(String streamId, long lastSeq) implements Serializable {}
}
