package io.chunkrelay.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Keeps the node operable.
 *
 * <p>A node's metrics: monotonic counters, gauges read when scraped, and high-water marks. Names
 * follow Prometheus conventions ({@code chunk_relay_..._total} for counters); each has a help text.
 */
public final class Metrics {
  private final Map<String, Metric> metrics = new ConcurrentSkipListMap<>();

  private sealed interface Metric permits Counter, Gauge, HighWater {
    String help();

    String type();

    long value();
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
        (name, metric) ->
            text.append("# HELP ")
                .append(name)
                .append(' ')
                .append(metric.help())
                .append("\n# TYPE ")
                .append(name)
                .append(' ')
                .append(metric.type())
                .append('\n')
                .append(name)
                .append(' ')
                .append(metric.value())
                .append('\n'));
    return text.toString();
  }
}
