package io.chunkrelay.web.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.chunk.ProducerClaim;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 8 (ack means durable; bad input gets a clear error and changes nothing) for
 * a streamed reply: {@code POST /api/streams/{id}/chunks} with {@code Content-Type:
 * application/x-ndjson}, one chunk object per line, read with non-blocking I/O (no container thread
 * waits for the producer) and committed as it arrives.
 *
 * <p>At most one append of the request is in the log's queue at a time; lines that arrive meanwhile
 * wait and go together as the next append (up to {@code maxBatchChunks} lines), so a fast producer
 * is group-committed in large batches and a slow one line by line, and the lines keep their order.
 * While {@code maxBatchChunks} lines wait, reading pauses: TCP pushes back on the producer. With
 * producer headers, append k carries {@code Producer-Seq} = the request's plus the lines sent
 * before it, so a resend after a cut skips what was stored.
 *
 * <p>Each line after the first (which its request paid for) takes one append from the producer's
 * allowance; a line over it ends the request with {@code 429 rate-limited} naming the line, the
 * lines before it committed, so the producer resends from there after {@code Retry-After}.
 *
 * <p>The request ends when the body ends (answered {@code {"streamId","firstSeq","lastSeq","count",
 * "duplicates"}}), at the first bad line (a problem naming the line; the whole lines before it are
 * committed first), at the log's first refusal (its problem; nothing after it is stored), or when
 * the producer's connection breaks (the whole lines received are committed; nobody to answer).
 * Every problem also says how many lines were stored and the last seq. A body from which nothing
 * arrives for the idle limit (a blank line counts: a producer that pauses longer sends one) is
 * ended by the node, not dropped by the connector: {@code 408 request-timeout}, the whole lines
 * before committed. A body still open when its token expires ends there, as a WebSocket does: the
 * whole lines received before are committed and the answer is {@code 401 token-expired}, naming the
 * expiry.
 *
 * <p>The request's life is a {@link Phase}; its transitions are written in {@link Phase#next}:
 *
 * <pre>
 *   READING --body ends, a bad line, an append refused--> DRAINING --nothing left to send--> ANSWERING
 *      |                                                     |                                   |
 *      +---------------- connection breaks ------------------+--> BROKEN --nothing left--> DONE <-+
 *   READING, DRAINING, ANSWERING --the body's time is up: answered at once--> DONE
 * </pre>
 *
 * Reading pauses (TCP pushes back) while {@code maxBatchChunks} lines wait, whatever the phase.
 */
public final class NdjsonIngest implements ReadListener, AsyncListener {
  private static final Logger LOG = LoggerFactory.getLogger(NdjsonIngest.class);
  private static final LogLimiter LOGS = new LogLimiter();
  private static final int READ_BUFFER_BYTES = 16 * 1024;

  /** Where the request is in its life; see the class comment for the picture. */
  enum Phase {
    /** The body is arriving; each whole line joins the waiting ones. */
    READING,
    /** Nothing more is read (the body ended or failed); what waits is still sent, then answered. */
    DRAINING,
    /** The connection broke and the request was given back; what waits is still committed. */
    BROKEN,
    /** The answer is on its way to a container thread. */
    ANSWERING,
    /** Answered (or nobody left to answer) and given back: nothing more happens. */
    DONE;

    /** Whether this phase may become {@code next}. */
    boolean mayBecome(Phase next) {
      return switch (this) {
        case READING -> next == DRAINING || next == BROKEN || next == DONE;
        case DRAINING -> next == ANSWERING || next == BROKEN || next == DONE;
        case ANSWERING, BROKEN -> next == DONE;
        case DONE -> false;
      };
    }
  }

  private final AsyncExchange exchange;
  private final ServletInputStream in;
  private final Optional<String> subject;
  private final ChunkLog log;
  private final String streamId;
  private final Optional<ProducerClaim> producer;
  private final Supplier<Optional<Duration>> allowance;
  private final int maxBatchChunks;
  private final byte[] buffer = new byte[READ_BUFFER_BYTES];
  private final NdjsonLines lines;

  // Guarded by this: shared by the reading thread and the thread that completes an append.
  private Phase phase = Phase.READING;
  private final List<NewChunk> waiting = new ArrayList<>();
  private long linesSent;
  private long linesQueued;
  private boolean inFlight;
  // Flow control: paused while maxBatchChunks lines wait; readerLeft once the reading loop saw it.
  private boolean paused;
  private boolean readerLeft;
  private RuntimeException problem;
  private final IngestTally tally = new IngestTally();
  // Set once at the start; cancelled when the request is answered or broke.
  private volatile ScheduledFuture<?> expiry;
  private volatile ScheduledFuture<?> idle;
  private final ScheduledExecutorService deadlines;
  private final long idleNanos;
  private volatile long lastReadNanos = System.nanoTime();

  private NdjsonIngest(
      AsyncContext async,
      ChunkLog log,
      String streamId,
      Optional<ProducerClaim> producer,
      Supplier<Optional<Duration>> allowance,
      Optional<String> subject,
      ChunkRequestParser parser,
      Limits limits,
      ScheduledExecutorService deadlines,
      long idleMillis)
      throws IOException {
    this.deadlines = deadlines;
    this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
    this.exchange = new AsyncExchange(async);
    this.allowance = allowance;
    this.subject = subject;
    this.in = async.getRequest().getInputStream();
    this.log = log;
    this.streamId = streamId;
    this.producer = producer;
    this.maxBatchChunks = limits.maxBatchChunks();
    this.lines = new NdjsonLines(parser, limits.maxRequestBytes(), this::queue);
  }

  /**
   * Puts the request in async mode for at most {@code maxMillis} and reads its body as it arrives:
   * lines of up to {@code maxRequestBytes}, appended {@code maxBatchChunks} at most at a time.
   * {@code allowance} takes one append for a line, or says how long until one is allowed. When
   * {@code tokenExpiresAt}, {@code deadlines} ends the body then.
   */
  static void start(
      HttpServletRequest request,
      ChunkLog log,
      String streamId,
      Optional<ProducerClaim> producer,
      Supplier<Optional<Duration>> allowance,
      Optional<String> subject,
      ChunkRequestParser parser,
      Limits limits,
      long maxMillis,
      long idleMillis,
      Optional<Instant> tokenExpiresAt,
      ScheduledExecutorService deadlines)
      throws IOException {
    AsyncContext async = request.startAsync();
    async.setTimeout(maxMillis);
    NdjsonIngest ingest =
        new NdjsonIngest(
            async,
            log,
            streamId,
            producer,
            allowance,
            subject,
            parser,
            limits,
            deadlines,
            idleMillis);
    async.addListener(ingest);
    ingest.watchIdle(idleMillis);
    tokenExpiresAt.ifPresent(
        expiry ->
            ingest.expiry =
                deadlines.schedule(
                    () -> ingest.tokenExpired(expiry),
                    Math.max(0, Duration.between(Instant.now(), expiry).toMillis()),
                    TimeUnit.MILLISECONDS));
    ingest.in.setReadListener(ingest);
  }

  private void watchIdle(long delayMillis) {
    idle = deadlines.schedule(this::idleCheck, delayMillis, TimeUnit.MILLISECONDS);
  }

  /** Ends a body from which nothing arrived for the idle limit, unless reading is paused. */
  private void idleCheck() {
    long quiet = System.nanoTime() - lastReadNanos;
    synchronized (this) {
      if (phase != Phase.READING || problem != null) {
        return;
      }
      if (paused) {
        // The node stopped reading (lines wait for the log), not the producer sending.
        lastReadNanos = System.nanoTime();
        quiet = 0;
      }
    }
    if (quiet < idleNanos) {
      watchIdle(Math.max(1, TimeUnit.NANOSECONDS.toMillis(idleNanos - quiet)));
      return;
    }
    failed(
        new ApiException(
            ProblemType.REQUEST_TIMEOUT,
            "nothing arrived for "
                + TimeUnit.NANOSECONDS.toSeconds(idleNanos)
                + " s; the whole lines before were stored. A producer that pauses longer sends a"
                + " blank line now and then to keep the body open"));
  }

  /** The caller's token expired with the body still open: it ends as a bad line would. */
  private void tokenExpired(Instant expiry) {
    failed(
        new ApiException(
            ProblemType.TOKEN_EXPIRED,
            "the token expired at "
                + expiry
                + " while the body was open; the whole lines before were stored: send the rest"
                + " with a fresh token (producer headers skip what was stored)"));
  }

  /** Moves to {@code next} (under this); an illegal move is a bug, not a log line. */
  private void to(Phase next) {
    if (!phase.mayBecome(next)) {
      throw new IllegalStateException(
          "ingest to stream " + streamId + " cannot go from " + phase + " to " + next);
    }
    phase = next;
  }

  /** Whether the request went back to the container (under this): nobody may touch it again. */
  private boolean givenBack() {
    return phase == Phase.BROKEN || phase == Phase.DONE;
  }

  @Override
  public void onDataAvailable() {
    readWhileReady();
  }

  @Override
  public void onAllDataRead() {
    try {
      lines.end();
    } catch (ApiException badLine) {
      failed(badLine);
      return;
    }
    synchronized (this) {
      if (phase == Phase.READING) {
        to(Phase.DRAINING);
      }
      sendOrAnswer();
    }
  }

  /**
   * The connection broke (on a container thread), or the body's chunked framing did. The request is
   * given back to the container here: Tomcat forbids any later use of it from another thread, and
   * recycles it for other requests. The whole lines received are still committed; a broken framing
   * is answered first ({@code 400 malformed-body}, with what was stored so far), since the
   * container closes the connection as soon as this returns.
   */
  @Override
  public void onError(Throwable failure) {
    synchronized (this) {
      if (givenBack()) {
        return;
      }
      boolean malformed = ApiRequest.malformedBody(failure);
      if (malformed && phase != Phase.ANSWERING) {
        answerNow(ApiRequest.malformed(failure));
      }
      LOGS.info(
          LOG,
          malformed ? "ingest-malformed" : "ingest-broke",
          "ingest to stream={} ended: {}; committing the whole lines received",
          streamId,
          failure.toString());
      // An answer already on its way finds the request gone; otherwise what waits still goes in.
      to(phase == Phase.ANSWERING ? Phase.DONE : Phase.BROKEN);
      exchange.release();
      sendOrAnswer();
    }
  }

  /** The body stayed open too long (on a container thread): answered here, what waits dropped. */
  @Override
  public void onTimeout(AsyncEvent event) {
    synchronized (this) {
      if (givenBack()) {
        return;
      }
      if (problem == null) {
        problem =
            new ApiException(
                ProblemType.REQUEST_TIMEOUT,
                "the streamed body stayed open longer than "
                    + exchange.async().getTimeout()
                    + " ms; send each reply in a request of its own (lines still in flight may"
                    + " be stored: resend with producer headers to be sure)");
      }
      waiting.clear();
      answer();
    }
  }

  @Override
  public void onComplete(AsyncEvent event) {}

  @Override
  public void onError(AsyncEvent event) {
    onError(event.getThrowable());
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  /** Reads and parses what has arrived, until nothing more is ready, or reading pauses or ends. */
  private void readWhileReady() {
    try {
      while (true) {
        synchronized (this) {
          if (phase != Phase.READING || problem != null) {
            return;
          }
          if (paused) {
            // Left with isReady() true, so the container will not call again: resumed by committed.
            readerLeft = true;
            return;
          }
        }
        if (!in.isReady()) {
          return;
        }
        int read = in.read(buffer);
        if (read < 0) {
          return;
        }
        lastReadNanos = System.nanoTime();
        lines.feed(buffer, read);
      }
    } catch (ApiException badLine) {
      failed(badLine);
    } catch (IOException e) {
      if (ApiRequest.malformedBody(e)) {
        // The container calls onError next, where it lets this listener still answer.
        return;
      }
      onError(e);
    }
  }

  /** A whole line's chunk joins the waiting ones (on the reading thread), if its producer may. */
  private void queue(NewChunk chunk) {
    if (++linesQueued > 1) {
      Optional<Duration> wait = allowance.get();
      if (wait.isPresent()) {
        throw ApiException.rateLimited(wait.get());
      }
    }
    synchronized (this) {
      waiting.add(chunk);
      if (waiting.size() >= maxBatchChunks) {
        paused = true;
      }
      sendOrAnswer();
    }
  }

  /** A bad line or a refused allowance ends the body; the whole lines before it still go in. */
  private void failed(RuntimeException reason) {
    synchronized (this) {
      if (problem == null && phase != Phase.ANSWERING && phase != Phase.DONE) {
        problem = reason;
      }
      if (phase == Phase.READING) {
        to(Phase.DRAINING);
      }
      sendOrAnswer();
    }
  }

  /**
   * Sends the waiting lines if no append is in flight; once nothing is in flight or waiting and
   * reading is over, answers (or, with the connection broken, notes what was stored). Called
   * holding this.
   */
  private void sendOrAnswer() {
    if (inFlight || phase == Phase.ANSWERING || phase == Phase.DONE) {
      return;
    }
    // After a bad line the whole lines before it still go in; after a failed or refused append
    // nothing more does, or the stream could hold a line without the one before it.
    boolean appendFailed = problem != null && !(problem instanceof ApiException);
    if (!waiting.isEmpty() && !appendFailed) {
      List<NewChunk> batch =
          new ArrayList<>(waiting.subList(0, Math.min(waiting.size(), maxBatchChunks)));
      waiting.subList(0, batch.size()).clear();
      inFlight = true;
      AppendRequest append = AppendRequest.of(streamId, batch, true).by(subject);
      if (producer.isPresent()) {
        append = append.asProducer(producer.get().after(linesSent));
      }
      CompletableFuture<Appended> committed = log.append(append);
      linesSent += batch.size();
      committed.whenComplete(this::committed);
      return;
    }
    switch (phase) {
      case BROKEN -> {
        LOGS.info(
            LOG, "ingest-broke-stored", "ingest to stream={} broke; stored {}", streamId, tally);
        to(Phase.DONE);
        cancelTimers();
      }
      case DRAINING -> {
        to(Phase.ANSWERING);
        if (!exchange.onContainerThread(this::answer)) {
          to(Phase.DONE);
        }
      }
      default -> {
        // READING: the body goes on.
      }
    }
  }

  private void committed(Appended appended, Throwable failure) {
    boolean resume;
    synchronized (this) {
      inFlight = false;
      if (failure != null) {
        problem = failure instanceof RuntimeException e ? e : new IllegalStateException(failure);
        if (phase == Phase.READING) {
          to(Phase.DRAINING);
        }
      } else {
        tally.add(appended);
      }
      sendOrAnswer();
      resume = false;
      if (paused && waiting.size() < maxBatchChunks && phase == Phase.READING && problem == null) {
        paused = false;
        // A reader still in its loop sees this and goes on; one that left must be started again.
        resume = readerLeft;
        readerLeft = false;
      }
    }
    if (resume) {
      exchange.onContainerThread(this::readWhileReady);
    }
  }

  private void cancelTimers() {
    for (ScheduledFuture<?> pending : new ScheduledFuture<?>[] {expiry, idle}) {
      if (pending != null) {
        pending.cancel(false);
      }
    }
  }

  /**
   * Writes {@code refused} with what was stored so far and sends it at once (under this, on a
   * container thread, in {@link #onError}); lines still waiting may be stored after it.
   */
  private void answerNow(ApiException refused) {
    HttpServletResponse response = exchange.response();
    try {
      Problems.ingestFailed(
          exchange.request(),
          response,
          new ApiException(
              refused.type(),
              refused.getMessage() + "; whole lines received but not yet counted here are stored"),
          tally.json());
      response.flushBuffer();
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer the ingest to stream={}: {}", streamId, e.toString());
    }
  }

  /** Writes the one answer and gives the request back, on a container thread. */
  private void answer() {
    synchronized (this) {
      if (givenBack()) {
        return;
      }
      to(Phase.DONE);
      cancelTimers();
      HttpServletRequest request = exchange.request();
      HttpServletResponse response = exchange.response();
      try {
        if (problem instanceof ApiException refused
            && refused.type() == ProblemType.TOKEN_EXPIRED) {
          response.setHeader(
              "WWW-Authenticate", "Bearer realm=\"chunk-relay\", error=\"invalid_token\"");
        }
        if (producer.isPresent() && tally.producerSeq() >= 0) {
          ProducerHeaders.echo(response, producer.get().epoch(), tally.producerSeq());
        }
        ObjectNode stored = tally.json();
        if (problem == null) {
          LOG.debug("ingest stream={} stored {}", streamId, tally);
          ObjectNode body = WireFormat.object();
          body.put("streamId", streamId);
          body.setAll(stored);
          StreamsServlet.json(
              response,
              tally.count() > 0 ? HttpServletResponse.SC_CREATED : HttpServletResponse.SC_OK,
              body);
        } else {
          if (lines.failedLine() > 0) {
            stored.put("line", lines.failedLine());
          }
          Problems.ingestFailed(request, response, problem, stored);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not answer the ingest to stream={}: {}", streamId, e.toString());
      } finally {
        exchange.release();
      }
    }
  }
}
