package io.chunkrelay.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * Keeps promise 1 (ack means durable) for a producer that got no answer: sends a request again,
 * unchanged (so with the same Idempotency-Key), while there is no answer or the answer is 429, 500,
 * 502, 503 or 504 (or 401 token-expired, at once, with the token provider's next token), waiting
 * the backoff or the server's {@code Retry-After}, whichever is longer. Any other refusal, or the
 * last attempt's failure, is thrown as a {@link ChunkRelayException} with the problem's code.
 */
final class RetryingRequests {
  private static final Set<Integer> RETRYABLE = Set.of(429, 500, 502, 503, 504);
  private static final long MAX_RETRY_AFTER_MILLIS = 30_000;

  private final HttpClient http;
  private final int maxAttempts;
  private final Backoff backoff;
  private final Authorization authorization;

  RetryingRequests(HttpClient http, int maxAttempts, Backoff backoff, Authorization authorization) {
    this.http = http;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.authorization = authorization;
  }

  /**
   * The answer's JSON (with {@code replayed}: whether the server answered from an earlier request),
   * once an attempt succeeded.
   *
   * @param what the request in words, for exceptions
   */
  JsonNode send(HttpRequest.Builder request, String what) {
    for (int attempt = 1; ; attempt++) {
      long waitMillis;
      try {
        // The credential is asked for per attempt: a retry after token-expired carries a fresh one.
        authorization.addTo(request);
        HttpResponse<String> response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        JsonNode body = parse(response.body());
        if (status < 300) {
          if (body instanceof ObjectNode answer) {
            answer.put(
                "replayed", response.headers().firstValue("Idempotent-Replayed").isPresent());
          }
          return body;
        }
        // A problem document has a code; anything else (a proxy's HTML page, say) gets one.
        String code = body.path("code").asText("http-" + status);
        String detail =
            body.path("detail")
                .asText(
                    "HTTP "
                        + status
                        + " with "
                        + response.headers().firstValue("Content-Type").orElse("no body type"));
        boolean expired = status == 401 && code.equals("token-expired");
        if (!(RETRYABLE.contains(status) || expired) || attempt >= maxAttempts) {
          throw new ChunkRelayException(
              status, code, what + " failed after " + attempt + " attempt(s): " + detail, null);
        }
        waitMillis =
            expired
                ? 0
                : Math.max(
                    backoff.delayMillis(attempt),
                    response.headers().firstValueAsLong("Retry-After").stream()
                        .map(seconds -> Math.min(seconds * 1000, MAX_RETRY_AFTER_MILLIS))
                        .findFirst()
                        .orElse(0L));
      } catch (IOException e) {
        if (attempt >= maxAttempts) {
          throw new ChunkRelayException(
              0, "unreachable", what + " got no answer in " + attempt + " attempt(s)", e);
        }
        waitMillis = backoff.delayMillis(attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChunkRelayException(0, "interrupted", what + " was interrupted", e);
      }
      pause(waitMillis, what);
    }
  }

  private static void pause(long millis, String what) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChunkRelayException(0, "interrupted", what + " was interrupted", e);
    }
  }

  /** An answer's body as JSON; an empty object for an empty body or one that is not JSON. */
  static JsonNode parse(String body) {
    try {
      return body.isEmpty()
          ? ChunkRelayClient.JSON.createObjectNode()
          : ChunkRelayClient.JSON.readTree(body);
    } catch (IOException notJson) {
      // A proxy's HTML error page, say: reported by its status and content type.
      return ChunkRelayClient.JSON.createObjectNode();
    }
  }
}
