package io.chunkrelay.web.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.auth.Denied;
import io.chunkrelay.auth.Grant;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.chunk.AppendRequest;
import io.chunkrelay.chunk.Appended;
import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.ProducerClaim;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.config.RelayConfig.Limits;
import io.chunkrelay.guard.Guard;
import io.chunkrelay.store.ChunkLog;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.web.edge.AccessFilter;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promises 1 and 8 (ack means durable; bad input gets a clear error and changes nothing) at
 * the HTTP door.
 *
 * <p>Mapped to {@code /api/*}, serving {@code /api/streams/{streamId}[/chunks|/complete]}: append
 * one chunk or a batch, complete a stream, read a stream, list its chunks after a seq. Each request
 * is validated completely before the chunk log is touched; every failure is answered as a problem
 * by {@link Problems}.
 */
public final class StreamsServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(StreamsServlet.class);

  /** Longest a streamed ({@code application/x-ndjson}) body may stay open: one reply's time. */
  static final long STREAMED_BODY_MAX_MILLIS = 15 * 60 * 1000;

  /**
   * How long a streamed body may send nothing (a blank line counts) before the node ends it with
   * {@code 408}: under the connector's read timeout (20 s in the embedded run and the shipped
   * server.xml), which would drop it without an answer.
   */
  static final long STREAMED_BODY_IDLE_MILLIS = 15_000;

  /**
   * Longest a JSON body may take to arrive; it is read without a thread, so a silent client costs a
   * connection for this long, never a thread.
   */
  public static final long BODY_MAX_MILLIS = 10_000;

  private final transient ChunkLog log;
  private final transient Limits limits;
  private final transient ChunkRequestParser parser;
  private final transient Guard guard;
  private final transient ScheduledExecutorService deadlines;
  private final long appendTimeoutMillis;

  /**
   * @param deadlines ends the wait for bodies that do not arrive in time
   * @param appendTimeoutMillis how long an append waits for its commit before it is answered 503
   */
  public StreamsServlet(
      ChunkLog log,
      Limits limits,
      Guard guard,
      ScheduledExecutorService deadlines,
      long appendTimeoutMillis) {
    this.log = log;
    this.guard = guard;
    this.deadlines = deadlines;
    this.limits = limits;
    this.parser = new ChunkRequestParser(limits);
    this.appendTimeoutMillis = appendTimeoutMillis;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    try {
      route(request, response);
    } catch (ApiException e) {
      Problems.write(request, response, e);
    } catch (Denied e) {
      Problems.write(request, response, e.type(), e.getMessage());
    } catch (ChunkLogException e) {
      Problems.refused(request, response, e);
    } catch (RuntimeException e) {
      Problems.unexpected(request, response, e);
    }
  }

  private void route(HttpServletRequest request, HttpServletResponse response) throws IOException {
    ApiRequest.requireNormalPath(request);
    if (request.getMethod().equals("HEAD")) {
      HeadResponse head = new HeadResponse(response);
      routeGets(request, head, "HEAD");
      head.finish();
      return;
    }
    routeGets(request, response, request.getMethod());
  }

  /** Routes the request; a HEAD request is routed as the GET it asks about. */
  private void routeGets(HttpServletRequest request, HttpServletResponse response, String method)
      throws IOException {
    String[] path = segments(request.getPathInfo());
    boolean read = method.equals("GET") || method.equals("HEAD");
    Grant grant = AccessFilter.grantOf(request.getUserPrincipal());
    if (path.length == 2 && path[1].equals("chunks")) {
      if (method.equals("POST")) {
        append(request, response, allowed(grant, Scope.PRODUCE, path[0]), grant);
      } else if (read) {
        list(request, response, allowed(grant, Scope.SUBSCRIBE, path[0]));
      } else {
        throw methodNotAllowed(response, "GET, HEAD, POST");
      }
    } else if (path.length == 2 && path[1].equals("complete")) {
      if (!method.equals("POST")) {
        throw methodNotAllowed(response, "POST");
      }
      if (request.getContentType() != null) {
        // A form on another site can POST here (urlencoded, multipart, text/plain) without asking
        // the browser's CORS check; a body-less or JSON request cannot come from one.
        ApiRequest.requireJson(request);
      }
      complete(response, allowed(grant, Scope.PRODUCE, path[0]));
    } else if (path.length == 1) {
      if (!read) {
        throw methodNotAllowed(response, "GET, HEAD");
      }
      get(response, allowed(grant, Scope.SUBSCRIBE, path[0]));
    } else {
      throw new ApiException(ProblemType.NOT_FOUND, "no such resource: " + request.getRequestURI());
    }
  }

  /**
   * Validates and parses the request on the container's thread, then waits for the group commit
   * without holding it (Servlet async): the answer is written when the chunks committed, or when
   * {@code appendTimeoutMillis} passed without an answer from the database.
   */
  private void append(
      HttpServletRequest request, HttpServletResponse response, String streamId, Grant grant)
      throws IOException {
    Optional<String> subject = grant.subject();
    Optional<Duration> wait = guard.refuseAppend(subject);
    if (wait.isPresent()) {
      throw ApiException.rateLimited(wait.get());
    }
    boolean streamed = ApiRequest.mediaType(request).equals(ApiRequest.NDJSON);
    if (!streamed) {
      ApiRequest.requireJson(request);
    }
    Optional<ProducerClaim> producer = ProducerHeaders.of(request);
    Optional<String> key = ApiRequest.idempotencyKey(request);
    if (streamed) {
      ApiRequest.requireUtf8(request);
      if (key.isPresent()) {
        throw new ApiException(
            ProblemType.INVALID_IDEMPOTENCY_KEY,
            "a streamed body is made idempotent by Producer-Id, Producer-Epoch and Producer-Seq,"
                + " not by an Idempotency-Key");
      }
      NdjsonIngest.start(
          request,
          log,
          streamId,
          producer,
          () -> guard.refuseAppend(subject),
          subject,
          parser,
          limits,
          STREAMED_BODY_MAX_MILLIS,
          STREAMED_BODY_IDLE_MILLIS,
          grant.expiresAt(),
          deadlines);
      return;
    }
    AsyncBody.read(
        request,
        limits.maxRequestBytes(),
        BODY_MAX_MILLIS,
        appendTimeoutMillis,
        deadlines,
        (async, body) -> {
          ChunkRequestParser.ParsedAppend parsed = parser.parse(body);
          AppendRequest append =
              AppendRequest.of(streamId, parsed.chunks(), parsed.batch()).by(subject).withKey(key);
          CompletableFuture<Appended> committed =
              log.append(producer.isPresent() ? append.asProducer(producer.get()) : append);
          return AsyncAppend.answerWhenCommitted(async, streamId, committed, appendTimeoutMillis);
        });
  }

  private void complete(HttpServletResponse response, String streamId) throws IOException {
    StreamInfo stream = log.complete(streamId);
    LOG.info("complete stream={} lastSeq={}", streamId, stream.headSeq());
    ObjectNode body = WireFormat.object();
    body.put("streamId", streamId);
    body.put("lastSeq", stream.headSeq());
    json(response, HttpServletResponse.SC_OK, body);
  }

  private void get(HttpServletResponse response, String streamId) throws IOException {
    StreamInfo stream =
        log.stream(streamId)
            .orElseThrow(
                () ->
                    new ApiException(
                        ProblemType.STREAM_NOT_FOUND, "stream '" + streamId + "' does not exist"));
    json(response, HttpServletResponse.SC_OK, WireFormat.stream(stream));
  }

  private void list(HttpServletRequest request, HttpServletResponse response, String streamId)
      throws IOException {
    long after = ApiRequest.number(request, "after", 0, Long.MAX_VALUE, 0);
    int limit =
        (int)
            ApiRequest.number(
                request,
                "limit",
                1,
                limits.maxPageChunks(),
                Math.min(Limits.DEFAULT_PAGE_CHUNKS, limits.maxPageChunks()));
    ChunkPage page = log.chunksAfter(streamId, after, limit, limits.maxPageBytes());
    ObjectNode body = WireFormat.object();
    body.put("streamId", streamId);
    body.put("headSeq", page.stream().headSeq());
    body.put("status", page.stream().status().wireName());
    ArrayNode chunks = body.putArray("chunks");
    for (StoredChunk chunk : page.chunks()) {
      chunks.add(WireFormat.chunk(chunk));
    }
    json(response, HttpServletResponse.SC_OK, body);
  }

  /**
   * The stream id of the path once the caller may use it for {@code scope}: checked before the body
   * is read and before the log is asked whether the stream exists, so a caller learns nothing about
   * streams it was not given.
   */
  private String allowed(Grant grant, Scope scope, String raw) {
    String streamId = ApiRequest.streamId(raw, limits.maxStreamIdChars());
    grant.require(scope, streamId);
    return streamId;
  }

  private static ApiException methodNotAllowed(HttpServletResponse response, String allow) {
    response.setHeader("Allow", allow);
    return new ApiException(ProblemType.METHOD_NOT_ALLOWED, "allowed here: " + allow);
  }

  /** The path below {@code /api/streams/}, split at slashes; empty for any other path. */
  private static String[] segments(String pathInfo) {
    String prefix = "/streams/";
    if (pathInfo == null || !pathInfo.startsWith(prefix)) {
      return new String[0];
    }
    return pathInfo.substring(prefix.length()).split("/", -1);
  }

  static void json(HttpServletResponse response, int status, ObjectNode body) throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(WireFormat.write(body));
  }
}
