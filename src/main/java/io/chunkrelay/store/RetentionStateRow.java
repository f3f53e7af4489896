package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.LocalDate;
import org.hibernate.annotations.Immutable;

/**
 * A row of the {@code retention_state} view: one daily partition of the log, its size, the streams
 * filed under it and when retention drops it. Mapped so start-up validates the view the DBA reads.
 */
@Entity
@Immutable
@Table(name = "retention_state")
class RetentionStateRow {
  @Id
  @Column(name = "partition_name")
  String partitionName;

  @Column(name = "day")
  LocalDate day;

  @Column(name = "table_name")
  String tableName;

  @Column(name = "estimated_rows")
  long estimatedRows;

  @Column(name = "bytes")
  long bytes;

  @Column(name = "streams")
  Long streams;

  @Column(name = "held_streams")
  Long heldStreams;

  @Column(name = "drops_on")
  LocalDate dropsOn;
}
