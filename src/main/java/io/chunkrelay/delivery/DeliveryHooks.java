package io.chunkrelay.delivery;

import java.util.ServiceLoader;

/**
 * Keeps promise 4 (subscribe first, then backfill) testable at its two critical moments.
 *
 * <p>Test seams at the two moments that decide gap-freedom, so a test can pause one connection
 * there and append meanwhile. Production WARs contain no implementation: hooks exist only if a
 * class is packaged into the WAR and named in {@code
 * META-INF/services/io.chunkrelay.delivery.DeliveryHooks}; no setting can turn them on.
 */
public interface DeliveryHooks {
  DeliveryHooks NONE = new DeliveryHooks() {};

  /** After Redis confirmed the SUBSCRIBE, before the first read of the chunk log. */
  default void subscribedBeforeBackfill(String streamId) {}

  /** After a read of the chunk log, before its chunks and the held live chunks are queued. */
  default void backfilledBeforeMerge(String streamId) {}

  /** The hooks packaged into this application, or {@link #NONE}. */
  static DeliveryHooks load(ClassLoader loader) {
    return ServiceLoader.load(DeliveryHooks.class, loader).findFirst().orElse(NONE);
  }
}
