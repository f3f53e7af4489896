package io.chunkrelay.web.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chunkrelay.auth.Denied;
import io.chunkrelay.auth.Grant;
import io.chunkrelay.auth.Scope;
import io.chunkrelay.auth.TokenMinter;
import io.chunkrelay.demo.DemoProducer;
import io.chunkrelay.guard.Guard;
import io.chunkrelay.web.api.AsyncBody;
import io.chunkrelay.web.api.ChunkRequestParser;
import io.chunkrelay.web.api.StreamsServlet;
import io.chunkrelay.web.edge.AccessFilter;
import io.chunkrelay.web.http.ApiException;
import io.chunkrelay.web.http.Problems;
import io.chunkrelay.wire.ProblemType;
import io.chunkrelay.wire.WireFormat;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Keeps promise 8 (bad input gets a clear error and changes nothing) at the demo's door.
 *
 * <p>{@code POST /demo/replies} with {@code {"prompt":"..."}}: starts a simulated reply and answers
 * {@code 202 {"streamId","messageId","chunks"}} (plus {@code "token"}, a subscriber token for that
 * stream alone, when the node requires tokens); the page then subscribes to that stream like any
 * other. Outside demo mode the path answers {@code 404 demo-disabled}. Refusals are problems with
 * stable codes: {@code unsupported-media-type}, {@code malformed-json}, {@code invalid-prompt},
 * {@code request-too-large}, {@code request-timeout} (a body that does not arrive within 10 s) and
 * {@code too-many-replies} (429, with {@code Retry-After}).
 *
 * <p>Behind the same door as the API ({@code AccessFilter}): pages of foreign origins are refused,
 * and on a node that requires tokens the caller needs one that may read every demo stream ({@code
 * subscribe} on {@code demo-*}), and each prompt counts against its subject's append rate. The
 * token handed back is narrower than the caller's own (one stream, subscribe only) and expires no
 * later than it, so the demo never gives anyone access they did not have.
 */
public final class DemoServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  static final int MAX_PROMPT_CHARS = 2_000;
  private static final int MAX_BODY_BYTES = 16 * 1024;

  /** How long starting a reply may take once its prompt arrived. */
  private static final long ANSWER_MAX_MILLIS = 10_000;

  /** How long the page may follow and audit a reply with the token it is handed. */
  static final Duration PAGE_TOKEN_LIFETIME = Duration.ofHours(1);

  private final transient Optional<DemoProducer> producer;
  private final transient Optional<TokenMinter> pageTokens;
  private final transient ScheduledExecutorService deadlines;
  private final transient Guard guard;

  private DemoServlet(
      Optional<DemoProducer> producer,
      Optional<TokenMinter> pageTokens,
      ScheduledExecutorService deadlines,
      Guard guard) {
    this.producer = producer;
    this.pageTokens = pageTokens;
    this.deadlines = deadlines;
    this.guard = guard;
  }

  /**
   * The demo's endpoint, starting replies with {@code producer}; on a node that requires tokens,
   * {@code pageTokens} signs the page a subscriber token for each reply it starts. Prompt bodies
   * are read without a thread ({@link AsyncBody}); {@code deadlines} times out those that stall;
   * {@code guard} holds each subject to its append rate.
   */
  public static DemoServlet enabled(
      DemoProducer producer,
      Optional<TokenMinter> pageTokens,
      ScheduledExecutorService deadlines,
      Guard guard) {
    return new DemoServlet(Optional.of(producer), pageTokens, deadlines, guard);
  }

  /** Outside demo mode: every request is answered {@code 404 demo-disabled}. */
  public static DemoServlet disabled() {
    return new DemoServlet(Optional.empty(), Optional.empty(), null, null);
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (producer.isEmpty()) {
      Problems.write(
          request,
          response,
          ProblemType.DEMO_DISABLED,
          "the demo assistant is off on this node; set CHUNK_RELAY_DEMO=true to switch it on");
    } else if (!"/replies".equals(request.getPathInfo())) {
      Problems.write(request, response, ProblemType.NOT_FOUND, "no such resource");
    } else if (!request.getMethod().equals("POST")) {
      response.setHeader("Allow", "POST");
      Problems.write(request, response, ProblemType.METHOD_NOT_ALLOWED, "allowed here: POST");
    } else {
      try {
        start(request, response);
      } catch (RuntimeException e) {
        Problems.unexpected(request, response, e);
      }
    }
  }

  private void start(HttpServletRequest request, HttpServletResponse response) throws IOException {
    // Here, on the request the door let through: the asynchronous answer sees the bare request.
    Grant grant = AccessFilter.grantOf(request.getUserPrincipal());
    String streamId = DemoProducer.newStreamId();
    String type = Optional.ofNullable(request.getContentType()).orElse("");
    if (!type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      Problems.write(
          request,
          response,
          ProblemType.UNSUPPORTED_MEDIA_TYPE,
          "send the prompt as Content-Type: application/json");
      return;
    }
    try {
      try {
        grant.require(Scope.SUBSCRIBE, streamId);
      } catch (Denied denied) {
        throw new ApiException(
            denied.type(),
            "the demo's replies are streams demo-*: this credential must be allowed to subscribe to"
                + " them");
      }
      Optional<Duration> wait = guard.refuseAppend(grant.subject());
      if (wait.isPresent()) {
        throw ApiException.rateLimited(wait.get());
      }
      AsyncBody.read(
          request,
          MAX_BODY_BYTES,
          StreamsServlet.BODY_MAX_MILLIS,
          ANSWER_MAX_MILLIS,
          deadlines,
          (async, body) -> {
            reply(
                (HttpServletRequest) async.getRequest(),
                (HttpServletResponse) async.getResponse(),
                grant,
                streamId,
                body);
            async.complete();
            return null;
          });
    } catch (ApiException refused) {
      Problems.write(request, response, refused);
    }
  }

  /** Starts the reply a whole prompt body asks for, and answers; a bad prompt is refused. */
  private void reply(
      HttpServletRequest request,
      HttpServletResponse response,
      Grant grant,
      String streamId,
      byte[] body)
      throws IOException {
    JsonNode parsed;
    try {
      parsed = WireFormat.strictReader().readTree(body);
    } catch (IOException e) {
      throw new ApiException(
          ProblemType.MALFORMED_JSON, "the body is not JSON: expected {\"prompt\":\"...\"}");
    }
    JsonNode prompt = parsed == null ? null : parsed.get("prompt");
    if (prompt == null
        || !prompt.isTextual()
        || prompt.asText().isBlank()
        || prompt.asText().length() > MAX_PROMPT_CHARS) {
      throw new ApiException(
          ProblemType.INVALID_PROMPT,
          "prompt must be a non-blank string of at most " + MAX_PROMPT_CHARS + " characters");
    }
    String unstorable = ChunkRequestParser.problemWithText(prompt.asText());
    if (unstorable != null) {
      // Its words would be chunks the log refuses: the reply would start and never finish.
      throw new ApiException(ProblemType.INVALID_PROMPT, "prompt" + unstorable);
    }
    // The node's own address as this request reached it; the reply is appended through it.
    URI self =
        URI.create("http://127.0.0.1:" + request.getLocalPort() + request.getContextPath() + "/");
    Optional<DemoProducer.Reply> reply = producer.get().start(prompt.asText(), self, streamId);
    if (reply.isEmpty()) {
      response.setHeader("Retry-After", "5");
      Problems.write(
          request,
          response,
          ProblemType.TOO_MANY_REPLIES,
          "the demo is writing as many replies as it may; try again in a few seconds");
      return;
    }
    ObjectNode answer = WireFormat.object();
    answer.put("streamId", reply.get().streamId());
    answer.put("messageId", reply.get().messageId());
    answer.put("chunks", reply.get().chunks());
    // A subscriber token for this reply's stream alone, lasting no longer than the caller's own:
    // the page can follow and audit it, and nothing the caller could not already.
    Duration lifetime =
        grant
            .expiresAt()
            .map(end -> Duration.between(Instant.now(), end))
            .filter(left -> left.compareTo(PAGE_TOKEN_LIFETIME) < 0)
            .orElse(PAGE_TOKEN_LIFETIME);
    if (!lifetime.isNegative() && !lifetime.isZero()) {
      pageTokens.ifPresent(
          minter ->
              answer.put(
                  "token",
                  minter.mint(
                      grant.subject().orElse("demo-page"),
                      Set.of(Scope.SUBSCRIBE),
                      List.of(reply.get().streamId()),
                      lifetime)));
    }
    response.setStatus(HttpServletResponse.SC_ACCEPTED);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(WireFormat.write(answer));
  }
}
