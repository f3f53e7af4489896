package io.chunkrelay.guard;

import io.chunkrelay.config.GuardSettings;
import io.chunkrelay.metrics.Metrics;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's limits on what one caller may ask of it.
 *
 * <p>Appends: a token bucket per authenticated subject (Bucket4j), refilled at {@link
 * GuardSettings#appendsPerSecondPerSubject()} a second up to twice that. WebSocket connections: a
 * count per node and per client address, and a token bucket for new connections per second. A
 * handshake is judged by {@link #admit} before the upgrade (so it can be answered with an HTTP
 * status) and counted by {@link #opened} once the socket is open; {@link #closed} gives the place
 * back. Every refusal is counted in {@code chunk_relay_refused_total}-style metrics.
 */
public final class Guard {
  /** Idle buckets are forgotten once this many subjects have one. */
  static final int MAX_TRACKED_SUBJECTS = 100_000;

  private final GuardSettings settings;
  private final Map<String, Bucket> appendBuckets = new ConcurrentHashMap<>();
  private final Optional<Bucket> handshakes;
  private final AtomicInteger open = new AtomicInteger();

  /**
   * Open connections per address, present only while above zero. Changed only inside the map's own
   * atomic compute of the address, so an open and a close never miss each other (a counter read
   * outside it could be removed by a close just before an open raises it).
   */
  private final Map<String, Integer> openByAddress = new ConcurrentHashMap<>();

  private final Metrics.Counter appendsRefused;
  private final Metrics.Counter connectionsRefused;

  /** Why a connection is refused, or not. */
  public enum Admission {
    ADMITTED,
    NODE_FULL,
    ADDRESS_FULL,
    TOO_FAST
  }

  private Guard(GuardSettings settings, Metrics metrics) {
    this.settings = settings;
    this.handshakes =
        settings.connectionsPerSecond() == 0
            ? Optional.empty()
            : Optional.of(bucket(settings.connectionsPerSecond(), settings.connectionsPerSecond()));
    this.appendsRefused =
        metrics.counter(
            "chunk_relay_appends_rate_limited_total",
            "append requests refused with 429 because their subject exceeded its rate");
    this.connectionsRefused =
        metrics.counter(
            "chunk_relay_connections_refused_total",
            "WebSocket handshakes refused: node or address full, or too many new connections");
    metrics.gauge("chunk_relay_connections_open", "open WebSocket connections", open::get);
  }

  public static Guard of(GuardSettings settings, Metrics metrics) {
    return new Guard(settings, metrics);
  }

  /**
   * Takes one append from {@code subject}'s allowance; empty when allowed, else how long until it
   * would be. A node without authentication has no subjects and no append rate.
   */
  public Optional<Duration> refuseAppend(Optional<String> subject) {
    if (subject.isEmpty() || settings.appendsPerSecondPerSubject() == 0) {
      return Optional.empty();
    }
    if (appendBuckets.size() >= MAX_TRACKED_SUBJECTS) {
      forgetIdleSubjects();
    }
    Bucket bucket =
        appendBuckets.computeIfAbsent(
            subject.get(),
            any ->
                bucket(
                    settings.appendsPerSecondPerSubject(),
                    2L * settings.appendsPerSecondPerSubject()));
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      return Optional.empty();
    }
    appendsRefused.increment();
    return Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
  }

  /** Whether a handshake from {@code address} may go ahead; takes a new-connection token if so. */
  public Admission admit(String address) {
    Admission admission = room(address);
    if (admission == Admission.ADMITTED
        && handshakes.isPresent()
        && !handshakes.get().tryConsume(1)) {
      admission = Admission.TOO_FAST;
    }
    if (admission != Admission.ADMITTED) {
      connectionsRefused.increment();
    }
    return admission;
  }

  /**
   * Counts an opened connection from {@code address}; false (and not counted) when the node or the
   * address filled up since its handshake was admitted.
   */
  public boolean opened(String address) {
    if (open.incrementAndGet() > settings.maxConnections()) {
      open.decrementAndGet();
      connectionsRefused.increment();
      return false;
    }
    boolean[] counted = new boolean[1];
    openByAddress.compute(
        address,
        (key, count) -> {
          int now = count == null ? 0 : count;
          if (now >= settings.maxConnectionsPerAddress()) {
            return count;
          }
          counted[0] = true;
          return now + 1;
        });
    if (!counted[0]) {
      open.decrementAndGet();
      connectionsRefused.increment();
    }
    return counted[0];
  }

  /** Gives back the place of a connection {@link #opened} counted. */
  public void closed(String address) {
    openByAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    open.decrementAndGet();
  }

  /** Open connections now. */
  public int openConnections() {
    return open.get();
  }

  private Admission room(String address) {
    if (open.get() >= settings.maxConnections()) {
      return Admission.NODE_FULL;
    }
    Integer fromAddress = openByAddress.get(address);
    if (fromAddress != null && fromAddress >= settings.maxConnectionsPerAddress()) {
      return Admission.ADDRESS_FULL;
    }
    return Admission.ADMITTED;
  }

  private void forgetIdleSubjects() {
    long full = 2L * settings.appendsPerSecondPerSubject();
    appendBuckets.values().removeIf(bucket -> bucket.getAvailableTokens() >= full);
  }

  private static Bucket bucket(long perSecond, long capacity) {
    return Bucket.builder()
        .addLimit(
            Bandwidth.builder()
                .capacity(capacity)
                .refillGreedy(perSecond, Duration.ofSeconds(1))
                .build())
        .build();
  }
}
