package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.Immutable;

/**
 * A row of {@code legal_holds}: a stream whose day retention keeps. Placed and released by the DBA
 * in SQL (docs/DBA.md); mapped so start-up validates the table the retention SQL reads.
 */
@Entity
@Immutable
@Table(name = "legal_holds")
class LegalHoldRow {
  @Id
  @Column(name = "stream_id")
  String streamId;

  @Column(name = "reason", nullable = false)
  String reason;

  @Column(name = "placed_by", nullable = false)
  String placedBy;

  @Column(name = "placed_at", nullable = false)
  Instant placedAt;
}
