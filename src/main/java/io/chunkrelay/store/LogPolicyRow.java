package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.Immutable;

/**
 * The one row of {@code log_policy}: the retention the nodes last ran {@code maintain_log()} with,
 * and the DBA's floor under it. Mapped so start-up validates the table retention writes.
 */
@Entity
@Immutable
@Table(name = "log_policy")
class LogPolicyRow {
  @Id
  @Column(name = "only_row")
  boolean onlyRow;

  @Column(name = "min_retention_days", nullable = false)
  int minRetentionDays;

  @Column(name = "retention_days")
  Integer retentionDays;

  @Column(name = "key_ttl_days")
  Integer keyTtlDays;

  @Column(name = "maintained_at")
  Instant maintainedAt;

  @Column(name = "maintained_by")
  String maintainedBy;
}
