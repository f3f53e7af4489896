package io.chunkrelay.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Keeps the node operable.
 *
 * <p>A node's metrics: monotonic counters, gauges read when scraped, high-water marks and
 * histograms. Names follow Prometheus conventions ({@code chunk_relay_..._total} for counters);
 * each has a help text.
 */
public final class Metrics {
  private final Map<String, Metric> metrics = new ConcurrentSkipListMap<>();

  private sealed interface Metric permits Counter, Gauge, HighWater, Histogram {
    String help();

    String type();

    long value();

    /** The metric's sample lines; most metrics have one: {@code name value}. */
    default void render(String name, StringBuilder text) {
      text.append(name).append(' ').append(value()).append('\n');
    }
  }

  /**
   * How many observations fell at or below each bound, with their count and sum (a Prometheus
   * histogram, cumulative buckets). {@link #value()} is the count.
   */
  public static final class Histogram implements Metric {
    private final String help;
    private final long[] bounds;
    private final LongAdder[] buckets;
    private final LongAdder count = new LongAdder();
    private final LongAdder sum = new LongAdder();

    private Histogram(String help, long[] bounds) {
      this.help = help;
      this.bounds = bounds.clone();
      this.buckets = new LongAdder[bounds.length];
      for (int i = 0; i < bounds.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    public void observe(long value) {
      for (int i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          buckets[i].increment();
          break;
        }
      }
      count.increment();
      sum.add(value);
    }

    @Override
    public String help() {
      return help;
    }

    @Override
    public String type() {
      return "histogram";
    }

    @Override
    public long value() {
      return count.sum();
    }

    /** The sum of all observations. */
    public long sum() {
      return sum.sum();
    }

    @Override
    public void render(String name, StringBuilder text) {
      long cumulative = 0;
      for (int i = 0; i < bounds.length; i++) {
        cumulative += buckets[i].sum();
        text.append(name)
            .append("_bucket{le=\"")
            .append(bounds[i])
            .append("\"} ")
            .append(cumulative)
            .append('\n');
      }
      text.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
      text.append(name).append("_sum ").append(sum.sum()).append('\n');
      text.append(name).append("_count ").append(count.sum()).append('\n');
    }
  }

  /** A count that only goes up. */
  public static final class Counter implements Metric {
    private final String help;
    private final LongAdder adder = new LongAdder();

    private Counter(String help) {
      this.help = help;
    }

    public void increment() {
      adder.increment();
    }

    public void add(long amount) {
      adder.add(amount);
    }

    @Override
    public String help() {
      return help;
    }

    @Override
    public String type() {
      return "counter";
    }

    @Override
    public long value() {
      return adder.sum();
    }
  }

  /** The largest value ever observed (for example the deepest an outbound queue has been). */
  public static final class HighWater implements Metric {
    private final String help;
    private final AtomicLong max = new AtomicLong();

    private HighWater(String help) {
      this.help = help;
    }

    public void observe(long value) {
      max.accumulateAndGet(value, Math::max);
    }

    @Override
    public String help() {
      return help;
    }

    @Override
    public String type() {
      return "gauge";
    }

    @Override
    public long value() {
      return max.get();
    }
  }

  private record Gauge(String help, LongSupplier supplier) implements Metric {
    @Override
    public String type() {
      return "gauge";
    }

    @Override
    public long value() {
      return supplier.getAsLong();
    }
  }

  public Counter counter(String name, String help) {
    return (Counter) metrics.computeIfAbsent(name, n -> new Counter(help));
  }

  public HighWater highWater(String name, String help) {
    return (HighWater) metrics.computeIfAbsent(name, n -> new HighWater(help));
  }

  /** A histogram with the given upper bounds, ascending (an implicit +Inf bucket follows). */
  public Histogram histogram(String name, String help, long... bounds) {
    return (Histogram) metrics.computeIfAbsent(name, n -> new Histogram(help, bounds));
  }

  public void gauge(String name, String help, LongSupplier supplier) {
    metrics.put(name, new Gauge(help, supplier));
  }

  /** The current value of a metric, or -1 if there is none of that name. */
  public long value(String name) {
    Metric metric = metrics.get(name);
    return metric == null ? -1 : metric.value();
  }

  /** Every metric in the Prometheus text exposition format. */
  public String render() {
    StringBuilder text = new StringBuilder();
    metrics.forEach(
        (name, metric) -> {
          text.append("# HELP ")
              .append(name)
              .append(' ')
              .append(metric.help())
              .append("\n# TYPE ")
              .append(name)
              .append(' ')
              .append(metric.type())
              .append('\n');
          metric.render(name, text);
        });
    return text.toString();
  }
}
