package io.chunkrelay.web.api;

import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a slow or silent client from holding a container thread: reads a JSON append body with
 * non-blocking I/O, so a body that is announced and never sent, or sent a byte at a time, costs a
 * connection and a buffer, never a thread. The request goes async before the first byte is read;
 * when the whole body is there, {@link Then} takes it (and the async context) on a container
 * thread. A body that does not arrive within its time is {@code 408 request-timeout}; one that
 * grows past the limit is {@code 413 request-too-large}. After the hand-off, timeouts and broken
 * connections go to the listener {@link Then} returns.
 */
public final class AsyncBody implements ReadListener, AsyncListener {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncBody.class);
  private static final int READ_BYTES = 8192;

  /** What to do with a complete body; returns who hears of the request's later events. */
  public interface Then {
    AsyncListener accept(AsyncContext async, byte[] body) throws IOException;
  }

  private final AsyncExchange exchange;
  private final ServletInputStream in;
  private final long maxBytes;
  private final long bodyMillis;
  private final long startedNanos = System.nanoTime();
  private final Then then;
  private final ByteArrayOutputStream body;
  private final byte[] buffer = new byte[READ_BYTES];
  // Guarded by this: the phase, and who hears of events after the body was handed on.
  private boolean over;
  private AsyncListener next;
  private volatile ScheduledFuture<?> deadline;

  private AsyncBody(AsyncContext async, long declared, long maxBytes, long bodyMillis, Then then)
      throws IOException {
    this.exchange = new AsyncExchange(async);
    this.in = async.getRequest().getInputStream();
    this.maxBytes = maxBytes;
    this.bodyMillis = bodyMillis;
    this.then = then;
    this.body = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
  }

  /**
   * Reads {@code request}'s body (at most {@code maxBytes}, within {@code bodyMillis}), then hands
   * it to {@code then}; the request stays async for {@code bodyMillis + answerMillis} in all.
   */
  public static void read(
      HttpServletRequest request,
      long maxBytes,
      long bodyMillis,
      long answerMillis,
      ScheduledExecutorService deadlines,
      Then then)
      throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > maxBytes) {
      throw ApiRequest.tooLarge(declared, maxBytes);
    }
    AsyncContext async = request.startAsync();
    async.setTimeout(bodyMillis + answerMillis);
    AsyncBody reader = new AsyncBody(async, declared, maxBytes, bodyMillis, then);
    async.addListener(reader);
    if (declared >= 0 && reader.in.available() >= declared) {
      // Nearly every JSON append arrives whole with its headers: read it here, which cannot block,
      // and spare the request a dispatch to a read listener.
      reader.body.write(reader.in.readNBytes((int) declared));
      reader.onAllDataRead();
      return;
    }
    reader.deadline = deadlines.schedule(reader::bodyTimedOut, bodyMillis, TimeUnit.MILLISECONDS);
    reader.in.setReadListener(reader);
  }

  @Override
  public void onDataAvailable() throws IOException {
    while (in.isReady()) {
      int read = in.read(buffer);
      if (read < 0) {
        return;
      }
      body.write(buffer, 0, read);
      if (body.size() > maxBytes) {
        refuse(ApiRequest.tooLarge(body.size(), maxBytes));
        return;
      }
    }
  }

  @Override
  public void onAllDataRead() {
    if (!end()) {
      return;
    }
    cancelDeadline();
    HttpServletRequest request = exchange.request();
    HttpServletResponse response = exchange.response();
    try {
      AsyncListener after = then.accept(exchange.async(), body.toByteArray());
      synchronized (this) {
        next = after;
      }
    } catch (ApiException e) {
      exchange.problem(e.type(), e.getMessage());
    } catch (ChunkLogException e) {
      try {
        Problems.refused(request, response, e);
      } catch (IOException broken) {
        LOG.debug("could not answer {}: {}", exchange.uri(), broken.toString());
      }
      exchange.release();
    } catch (IOException | RuntimeException e) {
      try {
        Problems.unexpected(
            request, response, e instanceof RuntimeException r ? r : new IllegalStateException(e));
      } catch (IOException broken) {
        LOG.debug("could not answer {}: {}", exchange.uri(), broken.toString());
      }
      exchange.release();
    }
  }

  /**
   * Reading failed: the client went away mid-body, or sent a body whose chunked framing is broken
   * (answered {@code 400 malformed-body} here, while the container still lets this listener write).
   * Nothing was parsed, nothing is stored.
   */
  @Override
  public void onError(Throwable failure) {
    if (!end()) {
      return;
    }
    cancelDeadline();
    LOG.debug("body of {} broke off: {}", exchange.uri(), failure.toString());
    if (ApiRequest.malformedBody(failure)) {
      ApiException malformed = ApiRequest.malformed(failure);
      exchange.problemNow(malformed.type(), malformed.getMessage());
      return;
    }
    exchange.release();
  }

  /** The body's time is up: if it is still being read, the client gets 408 and nothing is kept. */
  private void bodyTimedOut() {
    if (!end()) {
      return;
    }
    long waited = (System.nanoTime() - startedNanos) / 1_000_000;
    LOG.debug("body of {} did not arrive within {} ms", exchange.uri(), waited);
    exchange.problem(
        ProblemType.REQUEST_TIMEOUT,
        "the request body did not arrive within " + bodyMillis + " ms; nothing was stored");
  }

  @Override
  public void onTimeout(AsyncEvent event) throws IOException {
    AsyncListener after = stop();
    if (after != null) {
      after.onTimeout(event);
    } else {
      exchange.release();
    }
  }

  @Override
  public void onError(AsyncEvent event) throws IOException {
    AsyncListener after = stop();
    if (after != null) {
      after.onError(event);
    } else {
      exchange.release();
    }
  }

  /** Ends the reading phase for an async event; returns who hears of it after the hand-off. */
  private AsyncListener stop() {
    AsyncListener after;
    synchronized (this) {
      after = next;
      over = true;
    }
    cancelDeadline();
    return after;
  }

  @Override
  public void onComplete(AsyncEvent event) {}

  @Override
  public void onStartAsync(AsyncEvent event) {}

  private void refuse(ApiException refused) {
    if (!end()) {
      return;
    }
    cancelDeadline();
    exchange.problem(refused.type(), refused.getMessage());
  }

  /** Ends the reading phase; false if something else (the body, its deadline, an error) did. */
  private synchronized boolean end() {
    if (over) {
      return false;
    }
    over = true;
    return true;
  }

  private void cancelDeadline() {
    ScheduledFuture<?> pending = deadline;
    if (pending != null) {
      pending.cancel(false);
    }
  }
}
