package io.chunkrelay.fanout;

import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.delivery.LiveFeed;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.wire.FanoutSeal;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Keeps the "Redis accelerates" of promise 7 (Redis accelerates, PostgreSQL decides): the node's
 * one Redis subscriber connection, shared by all its WebSocket connections, which tells them when
 * it may have missed something.
 *
 * <p>Streams are SUBSCRIBEd on first use and UNSUBSCRIBEd when their last listener leaves (a local
 * reference count); a subscription counts only once Redis confirmed it. A dedicated thread reads
 * the connection and hands each message to the stream's listeners, which only enqueue work, so one
 * slow client never slows this thread. If the connection drops (or stops answering PINGs), every
 * listener hears {@code onFeedDown}, the thread reconnects with backoff, resubscribes every stream
 * still in use and tells their listeners {@code onFeedUp} so they read what they missed.
 *
 * <p>Commands are written under {@code writeLock} from any thread; only the subscriber thread
 * reads.
 */
public final class RedisFeed implements LiveFeed, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisFeed.class);
  private static final LogLimiter LOGS = new LogLimiter();
  private static final long MIN_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 2_000;
  private static final long PING_EVERY_MILLIS = 1_000;
  private static final long PONG_TIMEOUT_MILLIS = 3_000;

  private final RedisEndpoint endpoint;
  private final Channels channels;
  private final String controlChannel;
  private final ScheduledExecutorService timer;
  private final Thread thread;
  private final Object lock = new Object();
  private final Object writeLock = new Object();
  private final LiveMessages messages;
  private final Metrics.Counter reconnects;

  // Guarded by lock.
  private final Topics topics = new Topics();
  private Subscription current;
  private boolean closed;

  private volatile long lastPongNanos = System.nanoTime();

  public RedisFeed(
      RedisSettings settings,
      FanoutSeal seal,
      String nodeId,
      ScheduledExecutorService timer,
      Metrics metrics) {
    this.endpoint = RedisEndpoint.of(settings, "chunk-relay-sub-" + nodeId);
    this.channels = new Channels(settings.channelPrefix());
    this.controlChannel = channels.node(nodeId);
    this.timer = timer;
    this.messages = new LiveMessages(seal, metrics);
    this.reconnects =
        metrics.counter("chunk_relay_redis_reconnects_total", "subscriber connections (re)opened");
    metrics.gauge(
        "chunk_relay_redis_subscriber_up",
        "1 while the Redis subscriber is connected",
        () -> isUp() ? 1 : 0);
    this.thread = new Thread(this::run, "chunk-relay-redis-subscriber");
    this.thread.setDaemon(true);
  }

  /** Starts the subscriber thread and the PING watchdog. */
  public void start() {
    thread.start();
    timer.scheduleWithFixedDelay(
        this::watchdog, PING_EVERY_MILLIS, PING_EVERY_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<Boolean> subscribe(String streamId, LiveListener listener) {
    synchronized (lock) {
      Topics.Added added = topics.add(streamId, listener, current != null && current.up);
      if (added.subscribe()) {
        current.send(() -> current.pubsub.subscribe(channels.stream(streamId)));
      }
      return added.confirmation();
    }
  }

  @Override
  public void unsubscribe(String streamId, LiveListener listener) {
    synchronized (lock) {
      if (topics.remove(streamId, listener) && current != null && current.up) {
        current.send(() -> current.pubsub.unsubscribe(channels.stream(streamId)));
      }
    }
  }

  /** Whether the subscriber is connected right now. */
  public boolean isUp() {
    synchronized (lock) {
      return current != null && current.up;
    }
  }

  @Override
  public void close() {
    Subscription subscription;
    synchronized (lock) {
      closed = true;
      subscription = current;
    }
    if (subscription != null) {
      subscription.disconnect();
    }
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  /** The subscriber thread: connect, listen until the connection fails, back off, repeat. */
  private void run() {
    long backoff = MIN_BACKOFF_MILLIS;
    while (!isClosed()) {
      Subscription subscription = new Subscription();
      try (Jedis jedis = new Jedis(endpoint.address(), endpoint.clientConfig())) {
        subscription.jedis = jedis;
        synchronized (lock) {
          if (closed) {
            return;
          }
          current = subscription;
        }
        reconnects.increment();
        lastPongNanos = System.nanoTime();
        // Blocks, reading messages, until the connection fails or is closed.
        jedis.subscribe(subscription.pubsub, controlChannel);
      } catch (RuntimeException e) {
        if (isClosed()) {
          return; // the node is stopping: this close was ours
        }
        if (subscription.up) {
          LOG.warn(
              "Redis subscriber connection lost, delivery continues from the log: {}",
              e.toString());
        } else {
          LOG.debug("Redis subscriber cannot connect: {}", e.toString());
        }
      }
      if (lost(subscription)) {
        backoff = MIN_BACKOFF_MILLIS;
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        return;
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    }
  }

  /** Marks every topic unconfirmed and tells listeners; returns whether the feed had been up. */
  private boolean lost(Subscription subscription) {
    Topics.Lost lost;
    boolean wasUp;
    synchronized (lock) {
      wasUp = subscription.up;
      subscription.up = false;
      if (current == subscription) {
        current = null;
      }
      lost = topics.lost(wasUp);
    }
    lost.waiting().forEach(future -> future.complete(false));
    lost.listeners().forEach(LiveListener::onFeedDown);
    return wasUp;
  }

  private void watchdog() {
    Subscription subscription;
    synchronized (lock) {
      subscription = current;
    }
    if (subscription == null || !subscription.up) {
      return;
    }
    long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastPongNanos);
    if (silentMillis > PONG_TIMEOUT_MILLIS) {
      LOG.warn("Redis did not answer PING for {} ms; reconnecting", silentMillis);
      subscription.disconnect();
      return;
    }
    subscription.send(subscription.pubsub::ping);
  }

  /** One connection's subscription: its callbacks run on the subscriber thread. */
  private final class Subscription {
    volatile Jedis jedis;
    volatile boolean up;
    final JedisPubSub pubsub =
        new JedisPubSub() {
          @Override
          public void onSubscribe(String channel, int count) {
            try {
              subscribed(channel);
            } catch (RuntimeException e) {
              LOG.error("handling SUBSCRIBE confirmation of {} failed", channel, e);
            }
          }

          @Override
          public void onMessage(String channel, String message) {
            try {
              deliver(channel, message);
            } catch (RuntimeException e) {
              LOGS.warn(LOG, "message-failed", "handling a message on {} failed", channel, e);
            }
          }

          @Override
          public void onPong(String pattern) {
            lastPongNanos = System.nanoTime();
          }
        };

    /** Writes a command on this connection unless it is gone. */
    void send(Runnable command) {
      synchronized (writeLock) {
        if (!up && !pubsub.isSubscribed()) {
          return;
        }
        try {
          command.run();
        } catch (RuntimeException e) {
          LOG.debug("Redis command failed; the subscriber will reconnect: {}", e.toString());
          disconnect();
        }
      }
    }

    void disconnect() {
      Jedis connection = jedis;
      if (connection != null) {
        try {
          connection.disconnect();
        } catch (RuntimeException e) {
          LOG.debug("closing the Redis subscriber connection: {}", e.toString());
        }
      }
    }

    private void subscribed(String channel) {
      lastPongNanos = System.nanoTime();
      if (channel.equals(controlChannel)) {
        connected();
        return;
      }
      Topics.Confirmed confirmed;
      synchronized (lock) {
        if (current != this) {
          return;
        }
        confirmed = topics.confirmed(channels.streamIdOf(channel));
      }
      confirmed.waiting().forEach(future -> future.complete(true));
      confirmed.recovered().forEach(LiveListener::onFeedUp);
    }

    /**
     * The control channel is confirmed: the connection works; (re)subscribe every stream in use.
     */
    private void connected() {
      List<String> streams;
      synchronized (lock) {
        up = true;
        streams = topics.resubscribeAll();
      }
      LOG.info(
          "Redis subscriber connected to {}; subscribing {} streams",
          endpoint.address(),
          streams.size());
      if (!streams.isEmpty()) {
        String[] names = streams.stream().map(channels::stream).toArray(String[]::new);
        send(() -> pubsub.subscribe(names));
      }
    }

    private void deliver(String channel, String message) {
      String streamId = channels.streamIdOf(channel);
      Set<LiveListener> listeners;
      synchronized (lock) {
        listeners = topics.listeners(streamId);
      }
      if (!listeners.isEmpty()) {
        messages.deliver(channel, message, listeners);
      }
    }
  }
}
