package io.chunkrelay.demo;

import io.chunkrelay.config.RelayConfig.DemoSettings;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.NewChunk;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes simulated replies into the chunk log at a model's pace. A reply is a stream of its own
 * ({@code demo-<uuid>}): after a short "thinking" pause, each word is appended with {@link
 * ChunkLog#append} (commit, then publish, as for an HTTP append), the last one marked final, and
 * the stream is completed. A failed append is retried with the same idempotency key, so a retry
 * after an unknown outcome never writes a word twice. At most {@link
 * DemoSettings#maxActiveReplies()} replies are written at once.
 */
public final class DemoProducer {
  private static final Logger LOG = LoggerFactory.getLogger(DemoProducer.class);
  private static final long THINKING_MILLIS = 400;
  private static final long RETRY_MILLIS = 1_000;
  private static final int MAX_ATTEMPTS = 30;

  private final ChunkLog log;
  private final DemoSettings settings;
  private final ScheduledExecutorService timer;
  private final RandomGenerator random;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicLong started = new AtomicLong();

  /** A reply being written: its stream, its message id and how many chunks it will have. */
  public record Reply(String streamId, String messageId, int chunks) {}

  public DemoProducer(
      ChunkLog log, DemoSettings settings, ScheduledExecutorService timer, RandomGenerator random) {
    this.log = log;
    this.settings = settings;
    this.timer = timer;
    this.random = random;
  }

  /** Starts answering {@code prompt}; empty when the most replies are already being written. */
  public Optional<Reply> start(String prompt) {
    if (active.incrementAndGet() > settings.maxActiveReplies()) {
      active.decrementAndGet();
      return Optional.empty();
    }
    started.incrementAndGet();
    String id = UUID.randomUUID().toString();
    List<String> chunks = SimulatedAssistant.chunks(SimulatedAssistant.replyTo(prompt));
    Reply reply = new Reply("demo-" + id, "msg-" + id.substring(0, 8), chunks.size());
    LOG.info("demo reply stream={} chunks={} started", reply.streamId(), chunks.size());
    new Writing(reply, chunks).schedule(THINKING_MILLIS);
    return Optional.of(reply);
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
    private final Reply reply;
    private final List<String> chunks;
    private int next;
    private int attempts;

    Writing(Reply reply, List<String> chunks) {
      this.reply = reply;
      this.chunks = chunks;
    }

    @Override
    public void run() {
      try {
        if (next < chunks.size()) {
          appendNext();
        } else {
          log.complete(reply.streamId());
          finish("completed");
        }
      } catch (ChunkLogException e) {
        // The stream was completed or its key reused by someone else: nothing sensible remains.
        LOG.warn("demo reply stream={} abandoned at chunk {}: {}", reply.streamId(), next, e);
        finish("abandoned");
      } catch (RuntimeException e) {
        retry(e);
      }
    }

    private void appendNext() {
      String content = chunks.get(next);
      boolean last = next == chunks.size() - 1;
      log.append(
          reply.streamId(),
          List.of(new NewChunk(reply.messageId(), content, last)),
          false,
          Optional.of(reply.streamId() + ":" + next));
      next++;
      attempts = 0;
      schedule(last ? 0 : pauseAfter(content));
    }

    private void retry(RuntimeException failure) {
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
