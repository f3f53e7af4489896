package io.chunkrelay.web.api;

import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An async request's way out: its answer runs on a container thread, and the request is given back
 * to the container once, whoever gets there first (the answer, a timeout, a broken connection).
 * After that the container may recycle the request for another client, so nothing may touch it
 * again: {@link #release} says whether this call was the one that gave it back.
 */
final class AsyncExchange {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncExchange.class);

  private final AsyncContext async;
  private final String uri;
  private final AtomicBoolean released = new AtomicBoolean();

  AsyncExchange(AsyncContext async) {
    this.async = async;
    this.uri = ((HttpServletRequest) async.getRequest()).getRequestURI();
  }

  /** The request's path, as it was when it arrived (safe to use after the request is over). */
  String uri() {
    return uri;
  }

  AsyncContext async() {
    return async;
  }

  HttpServletRequest request() {
    return (HttpServletRequest) async.getRequest();
  }

  HttpServletResponse response() {
    return (HttpServletResponse) async.getResponse();
  }

  /** Runs {@code answer} on a container thread; false when the request is already over. */
  boolean onContainerThread(Runnable answer) {
    try {
      async.start(answer);
      return true;
    } catch (IllegalStateException over) {
      LOG.debug("{} ended before it could be answered", uri);
      return false;
    }
  }

  /** Writes a problem as the answer, then gives the request back. */
  void problem(ProblemType type, String detail) {
    try {
      Problems.write(request(), response(), type, detail);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer {}: {}", uri, e.toString());
    }
    release();
  }

  /**
   * Writes a problem and sends it at once, then gives the request back: for a listener's {@code
   * onError}, after which the container closes the connection without flushing anything.
   */
  void problemNow(ProblemType type, String detail) {
    try {
      Problems.write(request(), response(), type, detail);
      response().flushBuffer();
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not answer {}: {}", uri, e.toString());
    }
    release();
  }

  /** Gives the request back to the container; false if it was given back before. */
  boolean release() {
    if (!released.compareAndSet(false, true)) {
      return false;
    }
    try {
      async.complete();
    } catch (IllegalStateException alreadyOver) {
      LOG.debug("request {} was already over: {}", uri, alreadyOver.toString());
    }
    return true;
  }
}
