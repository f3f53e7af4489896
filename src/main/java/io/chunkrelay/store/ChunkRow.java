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
 * <p>A row of {@code chunks}: written once by an append, never updated. Appends and reads use plain
 * JDBC on the hot path ({@link GroupTransaction}, {@link ChunkQuery}); this mapping is what
 * Hibernate validates the table against at start-up.
 */
@Entity
@Immutable
@Table(name = "chunks")
@IdClass(ChunkRow.Key.class)
class ChunkRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Id
  @Column(name = "seq")
  long seq;

  @Column(name = "message_id", nullable = false)
  String messageId;

  @Column(name = "content", nullable = false)
  String content;

  @Column(name = "final", nullable = false)
  boolean finalChunk;

  @Column(name = "created_at", nullable = false)
  Instant createdAt;

  @Column(name = "appended_by", nullable = false)
  String appendedBy;

  @Column(name = "producer_id")
  String producerId;

  @Column(name = "producer_epoch")
  Long producerEpoch;

  @Column(name = "producer_seq")
  Long producerSeq;

  @Column(name = "stored_at", nullable = false)
  Instant storedAt;

  /** The partition key: its stream's created_day. */
  @Column(name = "stream_day", nullable = false)
  LocalDate streamDay;

  @Column(name = "chain", nullable = false)
  byte[] chain;

  /** Primary key of a chunk. */
  record Key(String streamId, long seq) implements Serializable {}
}
