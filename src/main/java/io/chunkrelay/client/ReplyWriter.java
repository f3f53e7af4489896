package io.chunkrelay.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps promises 1 and 2 (ack means durable; gap-free, commit-ordered seqs) for a reply streamed as
 * it is generated: every {@link #write} becomes one line of one open request ({@code
 * application/x-ndjson}), which the node commits and delivers as it arrives, so a subscriber sees
 * each token at once without a request per token.
 *
 * <p>The writer is an idempotent producer: its lines carry {@code Producer-Id}, {@code
 * Producer-Epoch} and {@code Producer-Seq} (line i of the reply is number i). When the request
 * breaks (the node went away, a proxy cut it) the writer opens a new one, on the next write or at
 * {@link #finish}, and sends again every line not yet confirmed; the node skips those it stored, so
 * each line is in the stream once, in order. {@link #finish} writes the last chunk (marked final),
 * ends the body and waits for the node's answer, retrying as {@link ChunkRelayClient#append} does.
 *
 * <p>Not thread-safe: one generating thread writes. Lines are kept until the reply is finished.
 *
 * <pre>{@code
 * try (ReplyWriter reply = relay.replyWriter("chat-42", "m1")) {
 *   for (String token : model.generate(prompt)) {
 *     reply.write(token);
 *   }
 *   Reply stored = reply.finish("");
 * }
 * }</pre>
 */
public final class ReplyWriter implements AutoCloseable {
  private static final int BUFFERED_LINES = 1024;

  /**
   * What a finished reply got: {@code chunks} lines, the last at {@code lastSeq} of the stream (0
   * when the node could not tell, after a resend that found every line stored).
   */
  public record Reply(String streamId, String producerId, long chunks, long lastSeq) {}

  private final HttpClient http;
  private final URI chunks;
  private final String streamId;
  private final String messageId;
  private final String producerId;
  private final long epoch;
  private final Backoff backoff;
  private final int maxAttempts;
  private final Duration answerTimeout;
  private final Authorization authorization;
  private final List<byte[]> lines = new ArrayList<>();
  private LineBody body;
  private CompletableFuture<HttpResponse<String>> answer;
  private long confirmed;
  private int failures;
  private boolean finished;

  ReplyWriter(
      HttpClient http,
      URI chunks,
      String streamId,
      String messageId,
      String producerId,
      long epoch,
      Backoff backoff,
      int maxAttempts,
      Duration answerTimeout,
      Authorization authorization) {
    this.http = http;
    this.authorization = authorization;
    this.chunks = chunks;
    this.streamId = streamId;
    this.messageId = messageId;
    this.producerId = producerId;
    this.epoch = epoch;
    this.backoff = backoff;
    this.maxAttempts = maxAttempts;
    this.answerTimeout = answerTimeout;
  }

  /** Sends {@code content} as the reply's next chunk. */
  public void write(String content) {
    line(content, false);
    if (body != null && !answer.isDone() && push(lines.get(lines.size() - 1))) {
      return;
    }
    abandon();
    if (answer != null) {
      awaitAnswer(); // throws if the node refused the reply; otherwise send again
    }
    open();
  }

  /**
   * Sends {@code content} as the reply's last chunk ({@code final: true}), ends the request and
   * returns once the node stored every line.
   *
   * @throws ChunkRelayException if the node refused the reply, or every attempt failed
   */
  public Reply finish(String content) {
    line(content, true);
    finished = true;
    boolean live = body != null && !answer.isDone() && push(lines.get(lines.size() - 1));
    if (live) {
      body.close();
      body = null;
    } else {
      abandon();
      answer = null;
    }
    while (true) {
      if (answer == null) {
        answer = send(HttpRequest.BodyPublishers.ofByteArrays(unconfirmed()));
      }
      Reply reply = awaitAnswer();
      if (reply != null) {
        return reply;
      }
      answer = null;
    }
  }

  /** Ends an unfinished reply's request: the node keeps the whole lines it received. */
  @Override
  public void close() {
    if (body != null) {
      body.close();
      body = null;
    }
    finished = true;
  }

  private void line(String content, boolean isFinal) {
    if (finished) {
      throw new IllegalStateException("the reply is finished");
    }
    ObjectNode chunk = ChunkRelayClient.JSON.createObjectNode();
    chunk.put("messageId", messageId);
    chunk.put("content", content);
    chunk.put("final", isFinal);
    lines.add((chunk.toString() + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Opens a streaming request that starts with every line not confirmed. */
  private void open() {
    body = new LineBody(BUFFERED_LINES);
    answer = send(HttpRequest.BodyPublishers.fromPublisher(body));
    for (byte[] line : unconfirmed()) {
      if (!push(line)) {
        abandon();
        return;
      }
    }
  }

  /**
   * Gives up the streaming request (it broke or stopped taking lines): its answer is cancelled,
   * which closes the connection; the node keeps the whole lines it received.
   */
  private void abandon() {
    if (body != null) {
      body = null;
      answer.cancel(true);
    }
  }

  /** Hands a line to the open request; false if it would not take it within the timeout. */
  private boolean push(byte[] line) {
    return body.push(line, answerTimeout.toMillis());
  }

  private CompletableFuture<HttpResponse<String>> send(HttpRequest.BodyPublisher publisher) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(chunks)
            .version(HttpClient.Version.HTTP_1_1)
            .header("Content-Type", "application/x-ndjson")
            .header("Producer-Id", producerId)
            .header("Producer-Epoch", Long.toString(epoch))
            .header("Producer-Seq", Long.toString(confirmed))
            .POST(publisher);
    authorization.addTo(request);
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<byte[]> unconfirmed() {
    return List.copyOf(lines.subList((int) confirmed, lines.size()));
  }

  /**
   * Waits for the current request's answer: the reply when it confirms every line; null when the
   * lines not confirmed must be sent again (after a backoff if the node failed or was unreachable).
   */
  private Reply awaitAnswer() {
    HttpResponse<String> response;
    try {
      response = answer.get(answerTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | CancellationException e) {
      answer.cancel(true);
      retryAfter(0, e);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChunkRelayException(0, "interrupted", "finishing the reply was interrupted", e);
    }
    JsonNode json = RetryingRequests.parse(response.body());
    int status = response.statusCode();
    if (status < 300) {
      return new Reply(streamId, producerId, lines.size(), json.path("lastSeq").asLong());
    }
    String code = json.path("code").asText("http-" + status);
    if (code.equals("producer-seq-gap") && json.has("expectedSeq")) {
      // The node holds the lines before expectedSeq: send from there.
      confirmed = Math.min(json.path("expectedSeq").asLong(), lines.size());
      countFailure(status, null);
      return null;
    }
    if (status == 429 || status >= 500) {
      retryAfter(status, null);
      return null;
    }
    throw new ChunkRelayException(
        status,
        code,
        "stream " + streamId + " refused the reply: " + json.path("detail").asText(),
        null);
  }

  private void retryAfter(int status, Exception cause) {
    countFailure(status, cause);
    pause(backoff.delayMillis(failures));
  }

  private void countFailure(int status, Exception cause) {
    failures++;
    if (failures >= maxAttempts) {
      throw new ChunkRelayException(
          status,
          status == 0 ? "unreachable" : "http-" + status,
          "the reply to stream " + streamId + " failed " + failures + " times",
          cause);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChunkRelayException(0, "interrupted", "the reply was interrupted", e);
    }
  }
}
