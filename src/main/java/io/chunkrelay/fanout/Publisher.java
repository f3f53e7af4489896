package io.chunkrelay.fanout;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.FanoutSeal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;

/**
 * Keeps the "Redis accelerates" of promise 7 (Redis accelerates, PostgreSQL decides) and never
 * publishes before commit.
 *
 * <p>PUBLISHes committed chunks and completions to their stream's channel, after commit and never
 * inside a transaction. A failed publish loses nothing (subscribers find the chunks in the log), so
 * it is counted and logged, not retried here; after a failure, publishes are skipped for {@value
 * #BACKOFF_MILLIS} ms so that appends do not each wait for Redis's timeout while it is down.
 */
public final class Publisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  static final long BACKOFF_MILLIS = 1_000;
  private static final long LOG_EVERY_MILLIS = 30_000;

  private final JedisPool pool;
  private final Channels channels;
  private final AtomicLong skipUntilNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong lastLoggedNanos =
      new AtomicLong(System.nanoTime() - ms(LOG_EVERY_MILLIS));
  private final FanoutSeal seal;
  private final Metrics.Counter published;
  private final Metrics.Counter failed;
  private final Metrics.Counter skipped;

  public Publisher(RedisSettings settings, FanoutSeal seal, String nodeId, Metrics metrics) {
    RedisEndpoint endpoint = RedisEndpoint.of(settings, "chunk-relay-pub-" + nodeId);
    GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
    poolConfig.setMaxTotal(16);
    poolConfig.setMaxIdle(16);
    poolConfig.setJmxEnabled(false);
    this.pool = new JedisPool(poolConfig, endpoint.address(), endpoint.clientConfig());
    this.channels = new Channels(settings.channelPrefix());
    this.seal = seal;
    this.published = metrics.counter("chunk_relay_publishes_total", "messages published to Redis");
    this.failed =
        metrics.counter("chunk_relay_publish_failures_total", "publishes Redis did not take");
    this.skipped =
        metrics.counter(
            "chunk_relay_publishes_skipped_total", "publishes skipped while Redis was failing");
  }

  /**
   * Publishes one group's committed chunks, a message per stream (in seq order), in one pipeline;
   * returns whether Redis took them all.
   */
  public boolean appended(Map<String, List<StoredChunk>> chunksByStream) {
    if (skipping()) {
      return false;
    }
    try (Jedis jedis = pool.getResource()) {
      Pipeline pipeline = jedis.pipelined();
      chunksByStream.forEach(
          (streamId, chunks) -> {
            String channel = channels.stream(streamId);
            pipeline.publish(channel, seal.seal(channel, FanoutMessage.appended(streamId, chunks)));
          });
      pipeline.sync();
      published.add(chunksByStream.size());
      return true;
    } catch (RuntimeException e) {
      failed(chunksByStream.size() + " streams", e);
      return false;
    }
  }

  /**
   * Publishes committed chunks of {@code streamId}, in seq order; returns whether Redis took them.
   */
  public boolean appended(String streamId, List<StoredChunk> chunks) {
    return appended(Map.of(streamId, chunks));
  }

  /** Publishes that {@code streamId} was completed at {@code lastSeq}. */
  public boolean completed(String streamId, long lastSeq) {
    if (skipping()) {
      return false;
    }
    try (Jedis jedis = pool.getResource()) {
      String channel = channels.stream(streamId);
      jedis.publish(channel, seal.seal(channel, FanoutMessage.completed(streamId, lastSeq)));
      published.increment();
      return true;
    } catch (RuntimeException e) {
      failed("stream " + streamId, e);
      return false;
    }
  }

  /** While Redis is failing, publishes are skipped for a while rather than each waiting for it. */
  private boolean skipping() {
    if (System.nanoTime() - skipUntilNanos.get() < 0) {
      skipped.increment();
      return true;
    }
    return false;
  }

  private void failed(String what, RuntimeException e) {
    failed.increment();
    skipUntilNanos.set(System.nanoTime() + ms(BACKOFF_MILLIS));
    long now = System.nanoTime();
    long last = lastLoggedNanos.get();
    if (now - last >= ms(LOG_EVERY_MILLIS) && lastLoggedNanos.compareAndSet(last, now)) {
      LOG.warn(
          "publish to Redis failed for {} (delivery continues from the log): {}",
          what,
          e.toString());
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
