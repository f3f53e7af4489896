package io.chunkrelay.demo;

import io.chunkrelay.auth.Access;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.auth.TokenMinter;
import io.chunkrelay.client.ChunkRelayClient;
import io.chunkrelay.client.ChunkRelayException;
import io.chunkrelay.client.Draft;
import io.chunkrelay.config.ConfigException;
import io.chunkrelay.config.RelayConfig.DemoSettings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the demo honest: its replies take the real ingest path.
 *
 * <p>Writes simulated replies at a model's pace through the real ingest path: the HTTP API of this
 * very node, with the Java client, as an AI service would. A reply is a stream of its own ({@code
 * demo-<uuid>}): after a short "thinking" pause, each word is appended under its own idempotency
 * key ({@code <stream>:<index>}), the last one marked final, and the stream is completed. An append
 * whose outcome is unknown is retried with the same key, so no word is ever written twice. At most
 * {@link DemoSettings#maxActiveReplies()} replies are written at once. On a node that requires
 * tokens, it appends with the producer tokens it is given, as any producer would.
 */
public final class DemoProducer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DemoProducer.class);

  /** Every demo reply's stream id starts with this. */
  public static final String STREAM_PREFIX = "demo-";

  /** How long one of the demo's own producer tokens lives (renewed before it runs out). */
  static final Duration TOKEN_LIFETIME = Duration.ofMinutes(10);

  private static final long THINKING_MILLIS = 400;
  private static final long RETRY_MILLIS = 1_000;
  private static final int MAX_ATTEMPTS = 30;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private final DemoSettings settings;
  private final ScheduledExecutorService timer;
  private final Executor httpWork;
  private final RandomGenerator random;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong started = new AtomicLong();
  private final AtomicReference<ChunkRelayClient> client = new AtomicReference<>();
  private final Optional<Supplier<String>> tokens;

  /** A reply being written: its stream, its message id and how many chunks it will have. */
  public record Reply(String streamId, String messageId, int chunks) {}

  /**
   * @param timer runs the replies' steps; a reply's steps run one after another, replies in
   *     parallel as far as the timer has threads (each step waits for its HTTP answer)
   * @param httpWork runs the HTTP client's own work; its owner stops it with the node
   */
  public DemoProducer(
      DemoSettings settings,
      ScheduledExecutorService timer,
      Executor httpWork,
      RandomGenerator random,
      Optional<Supplier<String>> tokens) {
    this.settings = settings;
    this.tokens = tokens;
    this.timer = timer;
    this.httpWork = httpWork;
    this.random = random;
  }

  /**
   * Starts answering {@code prompt} on {@code streamId} (from {@link #newStreamId()}) by appending
   * to the node at {@code self} (the node's own base URL as its server socket sees it); empty when
   * the most replies are already being written.
   */
  public Optional<Reply> start(String prompt, URI self, String streamId) {
    if (!streamId.startsWith(STREAM_PREFIX)) {
      throw new IllegalArgumentException("not a demo stream: " + streamId);
    }
    if (active.incrementAndGet() > settings.maxActiveReplies()) {
      active.decrementAndGet();
      return Optional.empty();
    }
    started.incrementAndGet();
    String id = streamId.substring(STREAM_PREFIX.length());
    List<String> chunks = SimulatedAssistant.chunks(SimulatedAssistant.replyTo(prompt));
    Reply reply =
        new Reply(streamId, "msg-" + id.substring(0, Math.min(8, id.length())), chunks.size());
    LOG.info("demo reply stream={} chunks={} started", reply.streamId(), chunks.size());
    new Writing(clientFor(self), reply, chunks).schedule(THINKING_MILLIS);
    return Optional.of(reply);
  }

  /** A fresh stream id for the next reply. */
  public static String newStreamId() {
    return STREAM_PREFIX + UUID.randomUUID();
  }

  private ChunkRelayClient clientFor(URI self) {
    return client.updateAndGet(existing -> existing != null ? existing : newClient(self));
  }

  /**
   * The producer tokens the demo appends with on a node whose {@code access} requires them: for its
   * own streams only, short-lived, signed by the node. A node that requires tokens but holds no
   * secret cannot sign, and refuses the demo at start-up.
   */
  public static Optional<Supplier<String>> tokens(Access access) {
    if (!access.required()) {
      return Optional.empty();
    }
    TokenMinter minter =
        access
            .minter()
            .orElseThrow(
                () ->
                    new ConfigException(
                        "CHUNK_RELAY_DEMO=true with CHUNK_RELAY_AUTH=jwt needs"
                            + " CHUNK_RELAY_JWT_SECRET: the demo signs its own short-lived tokens"));
    return Optional.of(
        minter.provider(
            "chunk-relay-demo",
            Set.of(Scope.PRODUCE),
            List.of(STREAM_PREFIX + "*"),
            TOKEN_LIFETIME));
  }

  /**
   * The client the demo appends with. Its HTTP work runs on the node's threads, which stop with the
   * node. The JDK's HTTP client also starts a selector thread of its own, which on Java 17 ends
   * only once the client has been collected: it is started with the platform class loader as its
   * context, so it does not hold on to the web application's class loader until then.
   */
  private ChunkRelayClient newClient(URI self) {
    ChunkRelayClient.Builder builder =
        ChunkRelayClient.builder(self)
            .requestTimeout(REQUEST_TIMEOUT)
            .maxAttempts(3)
            .executor(httpWork);
    tokens.ifPresent(builder::tokens);
    Thread current = Thread.currentThread();
    ClassLoader context = current.getContextClassLoader();
    current.setContextClassLoader(ClassLoader.getPlatformClassLoader());
    try {
      return builder.build();
    } finally {
      current.setContextClassLoader(context);
    }
  }

  /** Stops the HTTP client; the timer's owner stops the replies. */
  @Override
  public void close() {
    ChunkRelayClient open = client.getAndSet(null);
    if (open != null) {
      open.close();
    }
  }

  /** Replies started since the node started. */
  public long started() {
    return started.get();
  }

  /** Replies being written now. */
  public int active() {
    return active.get();
  }

  /** One reply's progress: the index of the next chunk to append, or the completion after them. */
  private final class Writing implements Runnable {
    private final ChunkRelayClient relay;
    private final Reply reply;
    private final List<String> chunks;
    private int next;
    private int attempts;

    Writing(ChunkRelayClient relay, Reply reply, List<String> chunks) {
      this.relay = relay;
      this.reply = reply;
      this.chunks = chunks;
    }

    @Override
    public void run() {
      try {
        if (next < chunks.size()) {
          appendNext();
        } else {
          relay.complete(reply.streamId());
          finish("completed");
        }
      } catch (ChunkRelayException e) {
        if (e.status() == 0 || e.status() == 429 || e.status() >= 500) {
          retry(e);
        } else {
          // Refused for good (the stream completed by someone else, say): nothing sensible remains.
          LOG.warn(
              "demo reply stream={} abandoned at chunk {}: {} {}",
              reply.streamId(),
              next,
              e.code(),
              e.getMessage());
          finish("abandoned");
        }
      } catch (RuntimeException e) {
        LOG.error("demo reply stream={} failed at chunk {}", reply.streamId(), next, e);
        finish("failed");
      }
    }

    private void appendNext() {
      String content = chunks.get(next);
      boolean last = next == chunks.size() - 1;
      relay.append(
          reply.streamId(),
          new Draft(reply.messageId(), content, last),
          reply.streamId() + ":" + next);
      next++;
      attempts = 0;
      schedule(last ? 0 : pauseAfter(content));
    }

    private void retry(ChunkRelayException failure) {
      attempts++;
      if (attempts >= MAX_ATTEMPTS) {
        LOG.error(
            "demo reply stream={} gave up at chunk {} after {} attempts",
            reply.streamId(),
            next,
            attempts,
            failure);
        finish("failed");
        return;
      }
      LOG.warn(
          "demo reply stream={} chunk {} failed (attempt {}), retrying in {} ms: {}",
          reply.streamId(),
          next,
          attempts,
          RETRY_MILLIS,
          failure.toString());
      schedule(RETRY_MILLIS);
    }

    private void schedule(long delayMillis) {
      try {
        timer.schedule(this, delayMillis, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopping) {
        finish("stopped with the node");
      }
    }

    private void finish(String how) {
      active.decrementAndGet();
      LOG.info("demo reply stream={} {} after {} chunks", reply.streamId(), how, next);
    }
  }

  /** A model's rhythm: uneven pauses between words, longer ones after a sentence or paragraph. */
  private long pauseAfter(String chunk) {
    double mean = settings.meanWordMillis();
    double pause = mean * (0.4 + 1.2 * random.nextDouble());
    String word = chunk.strip();
    if (chunk.endsWith("\n")) {
      pause += mean * 6;
    } else if (word.endsWith(".") || word.endsWith("?") || word.endsWith(":")) {
      pause += mean * 3;
    } else if (word.endsWith(",") || word.endsWith(";")) {
      pause += mean;
    }
    return Math.round(pause);
  }
}
