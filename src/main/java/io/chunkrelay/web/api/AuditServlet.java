package io.chunkrelay.web.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.auth.Denied;
import io.chunkrelay.chunk.StreamStatus;
import io.chunkrelay.store.AuditLog;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The audit API, for callers with the audit scope (JWT scope {@code audit}, container role {@code
 * chunk-relay-auditor}; the access filter refuses everyone else): {@code GET
 * /api/audit/streams?status=&laggingOverSeconds=&page=} lists the streams' health a page at a time,
 * {@code GET /api/audit/streams/{id}} gives one stream's health, its idempotent producers and what
 * the log's verifier finds wrong with it (nothing for a healthy stream). Read through Hibernate
 * from the audit views; nothing here writes.
 */
public final class AuditServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final long MAX_PAGE = 1_000_000;
  private static final long MAX_LAG_SECONDS = 365L * 24 * 3600;

  private final transient AuditLog audit;
  private final int maxStreamIdChars;

  public AuditServlet(AuditLog audit, int maxStreamIdChars) {
    this.audit = audit;
    this.maxStreamIdChars = maxStreamIdChars;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    try {
      ApiRequest.requireNormalPath(request);
      if (!request.getMethod().equals("GET")) {
        response.setHeader("Allow", "GET");
        throw new ApiException(ProblemType.METHOD_NOT_ALLOWED, "allowed here: GET");
      }
      String path = request.getPathInfo() == null ? "" : request.getPathInfo();
      if (path.equals("/streams")) {
        list(request, response);
      } else if (path.startsWith("/streams/") && path.indexOf('/', "/streams/".length()) < 0) {
        one(response, path.substring("/streams/".length()));
      } else {
        throw new ApiException(
            ProblemType.NOT_FOUND, "no such resource: " + request.getRequestURI());
      }
    } catch (ApiException e) {
      Problems.write(request, response, e);
    } catch (Denied e) {
      Problems.write(request, response, e.type(), e.getMessage());
    } catch (RuntimeException e) {
      Problems.unexpected(request, response, e);
    }
  }

  private void list(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Optional<String> status = Optional.ofNullable(request.getParameter("status"));
    if (status.isPresent()
        && !status.get().equals(StreamStatus.OPEN.wireName())
        && !status.get().equals(StreamStatus.COMPLETED.wireName())) {
      throw new ApiException(
          ProblemType.INVALID_PARAMETER, "status must be open or completed, got " + status.get());
    }
    long lagging = ApiRequest.number(request, "laggingOverSeconds", 0, MAX_LAG_SECONDS, -1);
    int page = (int) ApiRequest.number(request, "page", 1, MAX_PAGE, 1);
    AuditLog.Page found =
        audit.streams(status, lagging < 0 ? Optional.empty() : Optional.of((double) lagging), page);
    ObjectNode body = WireFormat.object();
    body.put("page", page);
    body.put("pageSize", AuditLog.PAGE_SIZE);
    body.put("more", found.more());
    ArrayNode streams = body.putArray("streams");
    found.streams().forEach(stream -> streams.add(health(stream)));
    StreamsServlet.json(response, HttpServletResponse.SC_OK, body);
  }

  private void one(HttpServletResponse response, String streamId) throws IOException {
    AuditLog.StreamAudit found =
        audit.stream(ApiRequest.streamId(streamId, maxStreamIdChars))
            .orElseThrow(
                () ->
                    new ApiException(
                        ProblemType.STREAM_NOT_FOUND, "stream '" + streamId + "' does not exist"));
    ObjectNode body = health(found.health());
    ArrayNode producers = body.putArray("producerSessions");
    for (AuditLog.Producer producer : found.producers()) {
      ObjectNode row = producers.addObject();
      row.put("producerId", producer.producerId());
      row.put("epoch", producer.epoch());
      row.put("lastSeq", producer.lastSeq());
      row.put("lastStreamSeq", producer.lastStreamSeq());
      row.put("owner", producer.owner());
      row.put("updatedAt", text(producer.updatedAt()));
    }
    ArrayNode problems = body.putArray("problems");
    for (AuditLog.Problem problem : found.problems()) {
      ObjectNode row = problems.addObject();
      if (problem.seq() == null) {
        row.putNull("seq");
      } else {
        row.put("seq", problem.seq());
      }
      row.put("problem", problem.problem());
      row.put("detail", problem.detail());
    }
    body.put("verified", found.problems().isEmpty());
    StreamsServlet.json(response, HttpServletResponse.SC_OK, body);
  }

  private static ObjectNode health(AuditLog.StreamHealth stream) {
    ObjectNode node = WireFormat.object();
    node.put("streamId", stream.streamId());
    node.put("status", stream.status());
    node.put("headSeq", stream.headSeq());
    node.put("publishedSeq", stream.publishedSeq());
    node.put("unpublishedChunks", stream.unpublishedChunks());
    if (stream.unpublishedSeconds() == null) {
      node.putNull("unpublishedSeconds");
    } else {
      node.put("unpublishedSeconds", stream.unpublishedSeconds());
    }
    node.put("createdAt", text(stream.createdAt()));
    node.put("updatedAt", text(stream.updatedAt()));
    node.put("completedAt", text(stream.completedAt()));
    node.put("ageSeconds", stream.ageSeconds());
    node.put("producers", stream.producers());
    node.put("lastWriter", stream.lastWriter());
    node.put("lastStoredAt", text(stream.lastStoredAt()));
    node.put("chain", stream.headChain());
    node.put("expiredAt", text(stream.expiredAt()));
    node.put("legalHold", stream.legalHold());
    return node;
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
