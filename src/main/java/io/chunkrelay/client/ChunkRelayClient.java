package io.chunkrelay.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Keeps promises 1 and 3 (ack means durable; exactly once, in order) for a JVM application: appends
 * retried under one Idempotency-Key, subscriptions that resume.
 *
 * <p>A Chunk Relay node (or a load balancer in front of several) seen from a JVM application.
 *
 * <p>Producer side: {@link #append} and {@link #appendBatch} send one request with one {@code
 * Idempotency-Key} and retry it, with the same key, when no answer came or the answer was 429, 500,
 * 502, 503 or 504 (honouring {@code Retry-After}); the server stores the chunk once however many
 * tries reach it and answers a retry with the original seqs. Any other refusal is thrown at once as
 * a {@link ChunkRelayException} carrying the problem's code.
 *
 * <p>A reply generated token by token is best streamed with a {@link #replyWriter}: one request,
 * each token committed and delivered as it is written, resent without duplicates after a cut.
 *
 * <p>On a node that requires tokens, give the client a token provider ({@link Builder#tokens}).
 *
 * <p>Consumer side: {@link #subscribe} opens a {@link Subscription} that delivers every chunk after
 * a seq exactly once and in order, reconnecting by itself.
 *
 * <pre>{@code
 * try (ChunkRelayClient relay = ChunkRelayClient.create(URI.create("http://localhost:8080/"))) {
 *   relay.append("chat-42", "m1", "Hello ", false);
 *   relay.append("chat-42", "m1", "world", true);
 *   relay.complete("chat-42");
 *   Subscription sub = relay.subscribe("chat-42", 0, chunk -> System.out.print(chunk.content()));
 *   sub.completion().join();
 * }
 * }</pre>
 */
public final class ChunkRelayClient implements AutoCloseable {
  private static final Pattern STREAM_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final RetryingRequests requests;
  private final int maxAttempts;
  private final Backoff backoff;
  private final Duration pingInterval;
  private final ScheduledExecutorService timer;
  private final Authorization authorization;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();

  private ChunkRelayClient(Builder builder) {
    String uri = builder.base.toString();
    this.base = URI.create(uri.endsWith("/") ? uri : uri + "/");
    this.requestTimeout = builder.requestTimeout;
    this.backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
    this.pingInterval = builder.pingInterval;
    HttpClient.Builder httpBuilder = HttpClient.newBuilder().connectTimeout(builder.connectTimeout);
    if (builder.executor != null) {
      httpBuilder.executor(builder.executor);
    }
    this.http = httpBuilder.build();
    this.maxAttempts = builder.maxAttempts;
    this.authorization = new Authorization(builder.tokens);
    this.requests = new RetryingRequests(http, builder.maxAttempts, backoff, authorization);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "chunk-relay-client");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * A client with the defaults: 10 s per request, 8 attempts, backoff 100 ms up to 5 s, a ping
   * every 15 s on each subscription.
   */
  public static ChunkRelayClient create(URI base) {
    return builder(base).build();
  }

  public static Builder builder(URI base) {
    return new Builder(base);
  }

  /** Appends one chunk, retrying safely; returns its seq in {@link Appended#firstSeq()}. */
  public Appended append(String streamId, String messageId, String content, boolean isFinal) {
    return append(streamId, new Draft(messageId, content, isFinal), newKey());
  }

  /**
   * Appends one chunk under the caller's own idempotency key: a producer that may itself restart
   * keeps the key with the chunk, so a retry after its own crash cannot append twice either.
   */
  public Appended append(String streamId, Draft chunk, String idempotencyKey) {
    ObjectNode body = draft(chunk);
    JsonNode answer = post(streamId, "chunks", body.toString(), idempotencyKey);
    long seq = answer.path("seq").asLong();
    return new Appended(streamId, seq, seq, answer.path("replayed").asBoolean());
  }

  /** Appends chunks atomically (consecutive seqs), retrying safely. */
  public Appended appendBatch(String streamId, List<Draft> chunks) {
    return appendBatch(streamId, chunks, newKey());
  }

  public Appended appendBatch(String streamId, List<Draft> chunks, String idempotencyKey) {
    if (chunks.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one chunk");
    }
    ArrayNode body = JSON.createArrayNode();
    chunks.forEach(chunk -> body.add(draft(chunk)));
    JsonNode answer = post(streamId, "chunks", body.toString(), idempotencyKey);
    return new Appended(
        streamId,
        answer.path("firstSeq").asLong(),
        answer.path("lastSeq").asLong(),
        answer.path("replayed").asBoolean());
  }

  /**
   * A writer that streams one reply (message {@code messageId}) to the stream as it is generated,
   * in one request, as a new idempotent producer (a fresh Producer-Id, epoch 0).
   */
  public ReplyWriter replyWriter(String streamId, String messageId) {
    return replyWriter(streamId, messageId, newKey(), 0);
  }

  /**
   * A writer as {@link #replyWriter(String, String)}, for the producer {@code producerId} in its
   * session {@code epoch}: a producer that restarts raises its epoch, which fences off any request
   * its earlier session still has open.
   */
  public ReplyWriter replyWriter(String streamId, String messageId, String producerId, long epoch) {
    checkStreamId(streamId);
    return new ReplyWriter(
        http,
        base.resolve("api/streams/" + streamId + "/chunks"),
        streamId,
        messageId,
        producerId,
        epoch,
        backoff,
        maxAttempts,
        requestTimeout,
        authorization);
  }

  /** Completes the stream (a repeat is harmless) and returns its last seq. */
  public long complete(String streamId) {
    return post(streamId, "complete", "{}", null).path("lastSeq").asLong();
  }

  /**
   * Delivers every chunk of the stream with a seq above {@code after} to {@code listener}, once and
   * in order, until the stream completes or the subscription is closed.
   */
  public Subscription subscribe(String streamId, long after, Subscription.Listener listener) {
    checkStreamId(streamId);
    if (after < 0) {
      throw new IllegalArgumentException("after must not be negative, got " + after);
    }
    String http = base.resolve("ws/streams/" + streamId).toString();
    URI ws = URI.create(http.replaceFirst("^http", "ws"));
    Subscription subscription =
        new Subscription(
            this.http, ws, streamId, after, listener, backoff, pingInterval, timer, authorization);
    subscriptions.add(subscription);
    subscription
        .completion()
        .whenComplete((lastSeq, failure) -> subscriptions.remove(subscription));
    subscription.start();
    return subscription;
  }

  /**
   * Closes every open subscription and stops the client's timer and, on Java 21 and later, its HTTP
   * client's threads (on Java 17 they end once the client is collected).
   */
  @Override
  public void close() {
    subscriptions.forEach(Subscription::close);
    timer.shutdownNow();
    if (http instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // Closing only releases threads; nothing is lost if it fails.
      }
    }
  }

  private JsonNode post(String streamId, String action, String body, String idempotencyKey) {
    checkStreamId(streamId);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve("api/streams/" + streamId + "/" + action))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return requests.send(request, action + " on stream " + streamId);
  }

  private static ObjectNode draft(Draft chunk) {
    ObjectNode node = JSON.createObjectNode();
    node.put("messageId", chunk.messageId());
    node.put("content", chunk.content());
    node.put("final", chunk.isFinal());
    return node;
  }

  private static void checkStreamId(String streamId) {
    if (streamId == null || !STREAM_ID.matcher(streamId).matches()) {
      throw new IllegalArgumentException(
          "stream id must be 1-128 characters of [A-Za-z0-9._:-], got '" + streamId + "'");
    }
  }

  private static String newKey() {
    return UUID.randomUUID().toString();
  }

  /** Settings of a {@link ChunkRelayClient}; every one has a default. */
  public static final class Builder {
    private final URI base;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private int maxAttempts = 8;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(5);
    private Duration pingInterval = Duration.ofSeconds(15);
    private Supplier<String> tokens;
    private Executor executor;

    private Builder(URI base) {
      if (base == null || !("http".equals(base.getScheme()) || "https".equals(base.getScheme()))) {
        throw new IllegalArgumentException("base must be an http(s) URI, got " + base);
      }
      this.base = base;
    }

    /** How long to wait for a TCP connection (default 5 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /** How long one request may take before it counts as unanswered and is retried (10 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    /** Tries per append or complete, the first included (default 8). */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, got " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /** Waits between retries and reconnects: random below initial * 2^n, at most max. */
    public Builder backoff(Duration initial, Duration max) {
      new Backoff(initial, max);
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * How often a subscription pings its server (default 15 s); a ping unanswered for one interval,
     * with nothing else arriving, counts the connection as lost.
     */
    public Builder pingInterval(Duration interval) {
      if (interval.toMillis() < 100) {
        throw new IllegalArgumentException("pingInterval must be at least 100 ms, got " + interval);
      }
      this.pingInterval = interval;
      return this;
    }

    /**
     * Where tokens come from when the node requires them ({@code CHUNK_RELAY_AUTH=jwt}): asked
     * before every request and every (re)connection, so it should return a cached token and fetch a
     * new one shortly before that one expires. A request answered {@code 401 token-expired} is sent
     * again with the next token, and a subscription closed for an expired token (4401) reconnects
     * at once with the next token, resuming after its last seq.
     */
    public Builder tokens(Supplier<String> provider) {
      this.tokens = java.util.Objects.requireNonNull(provider, "provider");
      return this;
    }

    /**
     * Runs the HTTP client's own work (default: threads of the JDK's HTTP client, which on Java 17
     * end only once the client is collected). Give an executor you stop yourself where no thread
     * may outlive its owner, such as in a web application that can be undeployed.
     */
    public Builder executor(Executor executor) {
      this.executor = java.util.Objects.requireNonNull(executor, "executor");
      return this;
    }

    public ChunkRelayClient build() {
      return new ChunkRelayClient(this);
    }
  }
}
