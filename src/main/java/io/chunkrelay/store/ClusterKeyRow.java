package io.chunkrelay.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.Immutable;

/**
 * Keeps the schema honest.
 *
 * <p>A row of {@code cluster_keys}: a key the deployment's nodes share ({@link ClusterKeys}).
 * Mapped so start-up validates the columns the node reads; never loaded through Hibernate.
 */
@Entity
@Immutable
@Table(name = "cluster_keys")
class ClusterKeyRow {
  @Id
  @Column(name = "name")
  String name;

  @Column(name = "secret", nullable = false)
  byte[] secret;

  @Column(name = "created_at", nullable = false)
  Instant createdAt;
}
