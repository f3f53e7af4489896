package io.chunkrelay.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.NewChunk;
import io.chunkrelay.chunk.ProducerClaim;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.store.ChunkLog;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 8 for a streamed reply: {@code POST /api/streams/{id}/chunks} with {@code
 * Content-Type: application/x-ndjson}, one chunk object per line, read with non-blocking I/O (no
 * container thread waits for the producer) and committed as it arrives.
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
 * Every problem also says how many lines were stored and the last seq.
 */
final class NdjsonIngest implements ReadListener, AsyncListener {
  private static final Logger LOG = LoggerFactory.getLogger(NdjsonIngest.class);
  private static final int READ_BUFFER_BYTES = 16 * 1024;

  private final AsyncContext async;
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
  private final List<NewChunk> waiting = new ArrayList<>();
  private long linesSent;
  private long linesQueued;
  private boolean inFlight;
  private boolean paused;
  private boolean readerPaused;
  private boolean bodyEnded;
  private boolean broken;
  private boolean answered;
  private boolean released;
  private RuntimeException problem;
  private final IngestTally tally = new IngestTally();

  private NdjsonIngest(
      AsyncContext async,
      ChunkLog log,
      String streamId,
      Optional<ProducerClaim> producer,
      Supplier<Optional<Duration>> allowance,
      Optional<String> subject,
      ChunkRequestParser parser,
      Limits limits)
      throws IOException {
    this.async = async;
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
   * {@code allowance} takes one append for a line, or says how long until one is allowed.
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
      long maxMillis)
      throws IOException {
    AsyncContext async = request.startAsync();
    async.setTimeout(maxMillis);
    NdjsonIngest ingest =
        new NdjsonIngest(async, log, streamId, producer, allowance, subject, parser, limits);
    async.addListener(ingest);
    ingest.in.setReadListener(ingest);
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
      bodyEnded = true;
      sendOrAnswer();
    }
  }

  /**
   * The connection broke (on a container thread). The request is given back to the container here:
   * Tomcat forbids any later use of it from another thread, and recycles it for other requests. The
   * whole lines received are still committed; nobody is left to answer.
   */
  @Override
  public void onError(Throwable failure) {
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
      broken = true;
      LOG.info(
          "ingest to stream={} broke: {}; committing the whole lines received",
          streamId,
          failure.toString());
      release();
      sendOrAnswer();
    }
  }

  /** The body stayed open too long (on a container thread): answered here, what waits dropped. */
  @Override
  public void onTimeout(AsyncEvent event) {
    synchronized (this) {
      if (released) {
        return;
      }
      if (problem == null) {
        problem =
            new ApiException(
                ProblemType.REQUEST_TIMEOUT,
                "the streamed body stayed open longer than "
                    + async.getTimeout()
                    + " ms; send each reply in a request of its own (lines still in flight may"
                    + " be stored: resend with producer headers to be sure)");
      }
      waiting.clear();
      answered = true;
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
          if (problem != null || released) {
            return;
          }
          if (paused) {
            // Left with isReady() true, so the container will not call again: resumed by committed.
            readerPaused = true;
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
        lines.feed(buffer, read);
      }
    } catch (ApiException badLine) {
      failed(badLine);
    } catch (IOException e) {
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

  private void failed(RuntimeException reason) {
    synchronized (this) {
      if (problem == null && !answered) {
        problem = reason;
      }
      sendOrAnswer();
    }
  }

  /**
   * Sends the waiting lines if no append is in flight; answers when nothing is in flight or waiting
   * and the body ended or failed. Called holding this.
   */
  private void sendOrAnswer() {
    if (inFlight || answered) {
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
    if (bodyEnded || problem != null || broken) {
      answered = true;
      if (released) {
        LOG.info("ingest to stream={} broke; stored {}", streamId, tally);
        return;
      }
      try {
        async.start(this::answer);
      } catch (IllegalStateException over) {
        LOG.debug("ingest to stream={} ended before it could be answered", streamId);
      }
    }
  }

  private void committed(Appended appended, Throwable failure) {
    boolean resume;
    synchronized (this) {
      inFlight = false;
      if (failure != null) {
        problem = failure instanceof RuntimeException e ? e : new IllegalStateException(failure);
      } else {
        tally.add(appended);
      }
      sendOrAnswer();
      resume = false;
      if (paused && waiting.size() < maxBatchChunks && problem == null && !released) {
        paused = false;
        // A reader still in its loop sees this and goes on; one that left must be started again.
        resume = readerPaused;
        readerPaused = false;
      }
    }
    if (resume) {
      async.start(this::readWhileReady);
    }
  }

  /** Writes the one answer and gives the request back, on a container thread. */
  private void answer() {
    synchronized (this) {
      if (released) {
        return;
      }
      released = true;
      HttpServletRequest request = (HttpServletRequest) async.getRequest();
      HttpServletResponse response = (HttpServletResponse) async.getResponse();
      try {
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
        release();
      }
    }
  }

  /** Gives the request back to the container (once; under this). */
  private void release() {
    try {
      async.complete();
    } catch (IllegalStateException alreadyOver) {
      LOG.debug("ingest to stream={} was already over: {}", streamId, alreadyOver.toString());
    }
  }
}
