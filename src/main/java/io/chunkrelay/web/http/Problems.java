package io.chunkrelay.web.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.StoreException;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing): never a stack trace to a
 * client.
 *
 * <p>Writes RFC 9457 problem details ({@code application/problem+json}) and decides what an
 * unexpected failure means for the client: a database that cannot be reached is a {@code 503} with
 * {@code Retry-After}; anything else is a {@code 500} whose detail carries only an error id to find
 * the full story in the server log.
 */
public final class Problems {
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  private static final LogLimiter LOGS = new LogLimiter();
  private static final int RETRY_AFTER_SECONDS = 2;

  private Problems() {}

  private static ProblemType typeOf(ChunkLogException e) {
    if (e instanceof ChunkLogException.StreamNotFound) {
      return ProblemType.STREAM_NOT_FOUND;
    }
    if (e instanceof ChunkLogException.StreamExpired) {
      return ProblemType.STREAM_EXPIRED;
    }
    if (e instanceof ChunkLogException.StreamCompleted) {
      return ProblemType.STREAM_COMPLETED;
    }
    if (e instanceof ChunkLogException.StaleProducerEpoch) {
      return ProblemType.STALE_PRODUCER_EPOCH;
    }
    if (e instanceof ChunkLogException.ProducerSeqGap) {
      return ProblemType.PRODUCER_SEQ_GAP;
    }
    if (e instanceof ChunkLogException.ProducerNotOwned) {
      return ProblemType.PRODUCER_NOT_OWNED;
    }
    return ProblemType.IDEMPOTENCY_KEY_REUSED;
  }

  /**
   * Answers a refusal of the chunk log. A producer's refusal also says where it stands, as headers
   * (the Durable Streams names) and as members of the problem: the current epoch of a stale one,
   * the seq expected after a gap.
   */
  public static void refused(
      HttpServletRequest request, HttpServletResponse response, ChunkLogException refused)
      throws IOException {
    refused(request, response, refused, WireFormat.object());
  }

  /**
   * Answers the failure that ended a streamed body; {@code stored} (what of the body was stored)
   * goes into the problem as members.
   */
  public static void ingestFailed(
      HttpServletRequest request,
      HttpServletResponse response,
      RuntimeException failure,
      ObjectNode stored)
      throws IOException {
    if (failure instanceof ApiException refused) {
      write(request, response, refused, stored);
    } else if (failure instanceof ChunkLogException refused) {
      refused(request, response, refused, stored);
    } else {
      unexpected(request, response, failure);
    }
  }

  private static void refused(
      HttpServletRequest request,
      HttpServletResponse response,
      ChunkLogException refused,
      ObjectNode members)
      throws IOException {
    if (refused instanceof ChunkLogException.StaleProducerEpoch stale) {
      response.setHeader("Producer-Epoch", Long.toString(stale.currentEpoch()));
      members.put("currentEpoch", stale.currentEpoch());
    } else if (refused instanceof ChunkLogException.StreamExpired expired) {
      members.put("earliestSeq", expired.earliestSeq());
    } else if (refused instanceof ChunkLogException.ProducerSeqGap gap) {
      response.setHeader("Producer-Expected-Seq", Long.toString(gap.expectedSeq()));
      response.setHeader("Producer-Received-Seq", Long.toString(gap.receivedSeq()));
      members.put("expectedSeq", gap.expectedSeq());
      members.put("receivedSeq", gap.receivedSeq());
    }
    write(request, response, typeOf(refused), refused.getMessage(), members);
  }

  /** Answers a failure nobody anticipated, logging it with an id the client also gets. */
  public static void unexpected(
      HttpServletRequest request, HttpServletResponse response, RuntimeException failure)
      throws IOException {
    String errorId = UUID.randomUUID().toString();
    if (StoreException.databaseUnreachable(failure)) {
      LOG.warn(
          "database unavailable for {} {} (error {}): {}",
          request.getMethod(),
          request.getRequestURI(),
          errorId,
          failure.toString());
      unavailable(
          request,
          response,
          "the database cannot be reached; nothing was changed, retry later (error "
              + errorId
              + ")");
    } else {
      LOG.error(
          "failed {} {} (error {})",
          request.getMethod(),
          request.getRequestURI(),
          errorId,
          failure);
      write(
          request,
          response,
          ProblemType.INTERNAL_ERROR,
          "the request failed and was rolled back (error " + errorId + ")");
    }
  }

  /** {@code 503 database-unavailable} with {@code Retry-After}: the client may try again soon. */
  public static void unavailable(
      HttpServletRequest request, HttpServletResponse response, String detail) throws IOException {
    response.setHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    write(request, response, ProblemType.DATABASE_UNAVAILABLE, detail);
  }

  /** Writes one problem unless the response is already committed. */
  public static void write(
      HttpServletRequest request, HttpServletResponse response, ProblemType type, String detail)
      throws IOException {
    write(request, response, type, detail, WireFormat.object());
  }

  /** Writes a refusal of the application's own, with its {@code Retry-After} if it has one. */
  public static void write(
      HttpServletRequest request, HttpServletResponse response, ApiException refused)
      throws IOException {
    write(request, response, refused, WireFormat.object());
  }

  private static void write(
      HttpServletRequest request,
      HttpServletResponse response,
      ApiException refused,
      ObjectNode members)
      throws IOException {
    if (refused.retryAfterSeconds() > 0 && !response.isCommitted()) {
      response.setHeader("Retry-After", Long.toString(refused.retryAfterSeconds()));
    }
    write(request, response, refused.type(), refused.getMessage(), members);
  }

  /** Writes one problem with extension {@code members} unless the response is committed. */
  public static void write(
      HttpServletRequest request,
      HttpServletResponse response,
      ProblemType type,
      String detail,
      ObjectNode members)
      throws IOException {
    if (response.isCommitted()) {
      LOGS.warn(
          LOG,
          "committed " + type.code(),
          "cannot report {} for {}: the response is already committed",
          type.code(),
          request.getRequestURI());
      return;
    }
    response.resetBuffer();
    response.setStatus(type.status());
    response.setContentType("application/problem+json");
    response.setCharacterEncoding("UTF-8");
    ObjectNode problem = WireFormat.object();
    problem.put("type", type.typeUri());
    problem.put("title", type.title());
    problem.put("status", type.status());
    problem.put("detail", detail);
    problem.put("instance", request.getRequestURI());
    problem.put("code", type.code());
    problem.setAll(members);
    // Sized, not chunked: an answer flushed just before the connection closes is still whole.
    byte[] body = WireFormat.write(problem).getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    try {
      response.getOutputStream().write(body);
    } catch (IllegalStateException writerInUse) {
      // Whoever answered first took the writer; the same bytes go through it.
      response.getWriter().write(new String(body, StandardCharsets.UTF_8));
    }
  }
}
