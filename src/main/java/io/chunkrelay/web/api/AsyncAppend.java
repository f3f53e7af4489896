package io.chunkrelay.web.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 1 (ack means durable) at the HTTP door without holding a container thread while a
 * group commits: the request goes async, and is answered once, on a container thread, when its
 * chunks committed (201), were refused (their problem), or when the deadline passed with no answer
 * from the database (503 with {@code Retry-After}; the producer's Idempotency-Key then tells it
 * whether the chunks were stored).
 */
public final class AsyncAppend implements AsyncListener {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncAppend.class);

  private final AsyncContext async;
  private final String streamId;
  private final long timeoutMillis;
  private final AtomicBoolean answered = new AtomicBoolean();

  private AsyncAppend(AsyncContext async, String streamId, long timeoutMillis) {
    this.async = async;
    this.streamId = streamId;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Answers the request of {@code async} (already async, its body read) when {@code committed}
   * completes; returns the listener that must hear of its timeout and errors from now on.
   */
  static AsyncListener answerWhenCommitted(
      AsyncContext async,
      String streamId,
      CompletableFuture<Appended> committed,
      long timeoutMillis) {
    AsyncAppend answer = new AsyncAppend(async, streamId, timeoutMillis);
    committed.whenComplete(
        (appended, failure) -> {
          try {
            async.start(() -> answer.answer(appended, failure));
          } catch (IllegalStateException timedOut) {
            LOG.debug("append to stream={} answered after its request ended", streamId);
          }
        });
    return answer;
  }

  @Override
  public void onTimeout(AsyncEvent event) throws IOException {
    if (answered.compareAndSet(false, true)) {
      Problems.unavailable(
          (HttpServletRequest) async.getRequest(),
          (HttpServletResponse) async.getResponse(),
          "the database did not answer within "
              + timeoutMillis
              + " ms; retry with the same Idempotency-Key to learn whether it was stored");
      async.complete();
    }
  }

  @Override
  public void onComplete(AsyncEvent event) {}

  /**
   * The connection broke: the request goes back to the container now, and the commit's answer will
   * not touch it (Tomcat recycles a request for others once its error handling is over).
   */
  @Override
  public void onError(AsyncEvent event) {
    if (answered.compareAndSet(false, true)) {
      LOG.debug("append to stream={} lost its client: {}", streamId, event.getThrowable());
      try {
        async.complete();
      } catch (IllegalStateException alreadyOver) {
        LOG.debug("append to stream={} was already over", streamId);
      }
    }
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  private void answer(Appended appended, Throwable failure) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    HttpServletRequest request = (HttpServletRequest) async.getRequest();
    HttpServletResponse response = (HttpServletResponse) async.getResponse();
    try {
      if (failure instanceof ChunkLogException refused) {
        Problems.refused(request, response, refused);
      } else if (failure != null) {
        Problems.unexpected(
            request,
            response,
            failure instanceof RuntimeException e ? e : new IllegalStateException(failure));
      } else {
        created(response, appended);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer the append to stream={}: {}", streamId, e.toString());
    } finally {
      async.complete();
    }
  }

  private void created(HttpServletResponse response, Appended appended) throws IOException {
    LOG.debug(
        "append stream={} seqs={}..{} replayed={} duplicates={}",
        streamId,
        appended.firstSeq(),
        appended.lastSeq(),
        appended.replayed(),
        appended.duplicates());
    ObjectNode body = WireFormat.object();
    body.put("streamId", streamId);
    if (appended.producerSeq() >= 0) {
      // The epoch header was validated before the append was queued.
      long epoch =
          Long.parseLong(
              ((HttpServletRequest) async.getRequest()).getHeader(ProducerHeaders.EPOCH).trim());
      ProducerHeaders.echo(response, epoch, appended.producerSeq());
    }
    if (appended.count() == 0 && !appended.replayed()) {
      // An idempotent producer's resend of chunks stored before: nothing new, nothing created.
      body.put("duplicates", appended.duplicates());
      if (appended.lastSeq() > 0) {
        body.put(appended.batch() ? "lastSeq" : "seq", appended.lastSeq());
      }
      StreamsServlet.json(response, HttpServletResponse.SC_OK, body);
      return;
    }
    if (appended.batch()) {
      body.put("firstSeq", appended.firstSeq());
      body.put("lastSeq", appended.lastSeq());
    } else {
      body.put("seq", appended.firstSeq());
    }
    if (appended.duplicates() > 0) {
      body.put("duplicates", appended.duplicates());
    }
    if (appended.replayed()) {
      response.setHeader("Idempotent-Replayed", "true");
    }
    StreamsServlet.json(response, HttpServletResponse.SC_CREATED, body);
  }
}
