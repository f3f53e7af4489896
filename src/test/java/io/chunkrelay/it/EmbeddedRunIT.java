package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.it.support.EmbeddedRun;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The embedded run as README starts it ({@code java -jar target/chunk-relay.jar}), against the test
 * PostgreSQL and Redis: it listens on the loopback address while its demo runs and says so, and the
 * requests Tomcat refuses before the web application sees them are answered, under {@code /api/}
 * and {@code /ws/}, as problems with a stable code instead of Tomcat's HTML page.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedRunIT {
  private static EmbeddedRun run;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    run = EmbeddedRun.started("embedded-run", Map.of());
    port = run.port();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (run != null) {
      run.close();
    }
  }

  @Test
  void itListensOnLoopbackWhileTheDemoRunsAndSaysSo() throws IOException {
    assertTrue(run.console().contains("listening: 127.0.0.1 port " + port + " only"), tail());
    assertTrue(run.console().contains("auth:      none: anyone who reaches this port"), tail());
    Http http = new Http(URI.create("http://127.0.0.1:" + port + "/"));
    assertEquals(200, http.get("health").status());
  }

  @Test
  void requestsTomcatRefusesBeforeTheApiAreProblemsUnderApiAndWs() throws IOException {
    String big = "a".repeat(20_000);
    String[][] refused = {
      {"GET /api/streams/a%2fb HTTP/1.1", "", "400", "bad-request"},
      {"GET /api/streams/a%00b/chunks HTTP/1.1", "", "400", "bad-request"},
      {"GET /ws/streams/a%2fb HTTP/1.1", "", "400", "bad-request"},
      {"GET /api/streams/s1 HTTP/1.1", "X-Big: " + big + "\r\n", "400", "bad-request"},
      {"GET /api/streams/" + "x".repeat(61_440) + " HTTP/1.1", "", "400", "bad-request"},
      {"TRACE /api/streams/s1 HTTP/1.1", "", "405", "method-not-allowed"},
    };
    for (String[] request : refused) {
      String name = request[0].substring(0, Math.min(50, request[0].length()));
      Answer answer = send(request[0], request[1]);
      assertEquals(Integer.parseInt(request[2]), answer.status(), name + ": " + answer.head());
      assertTrue(
          answer.head().toLowerCase().contains("content-type: application/problem+json"),
          name + ": " + answer.head());
      JsonNode problem = Json.MAPPER.readTree(answer.body());
      assertEquals(request[3], problem.get("code").asText(), name);
      assertEquals("urn:chunk-relay:problem:" + request[3], problem.get("type").asText(), name);
      assertEquals(Integer.parseInt(request[2]), problem.get("status").asInt(), name);
      assertFalse(answer.body().contains("Exception") || answer.body().contains("Tomcat"), name);
    }
    Answer page = send("TRACE / HTTP/1.1", "");
    assertEquals(405, page.status());
    assertTrue(page.head().toLowerCase().contains("content-type: text/html"), page.head());
    assertFalse(page.body().contains("Apache Tomcat/"), "the page names no server version");
  }

  @Test
  void bodiesRefusedUnreadAndNeverSentHoldNoThread() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try {
      // More than Tomcat's 200 worker threads: each refused (415) before its body was read, whose
      // body never comes. Drained with a blocking read, each would hold a thread for 20 s.
      for (int i = 0; i < 300; i++) {
        Socket socket = new Socket("127.0.0.1", port);
        socket
            .getOutputStream()
            .write(
                ("POST /api/streams/stalled/chunks HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\nhalf")
                    .getBytes(StandardCharsets.US_ASCII));
        stalled.add(socket);
      }
      Http http = new Http(URI.create("http://127.0.0.1:" + port + "/"));
      long started = System.nanoTime();
      Http.Response served =
          http.postJson("api/streams/embedded-served/chunks", Http.chunk("m", "through"));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertEquals(201, served.status(), served.body());
      assertTrue(millis < 5_000, "served in " + millis + " ms");
      stalled.get(0).setSoTimeout(10_000);
      String answer =
          new String(stalled.get(0).getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 415"), answer);
    } finally {
      for (Socket socket : stalled) {
        socket.close();
      }
    }
  }

  @Test
  void aSecondRunOnATakenPortExitsNamingThePort() throws Exception {
    try (EmbeddedRun second = EmbeddedRun.launch("embedded-run-port-taken", port, Map.of())) {
      assertTrue(
          second.process().waitFor(120, TimeUnit.SECONDS),
          "a run without its port stops by itself");
      String said = second.console();
      assertEquals(1, second.process().exitValue(), said);
      assertTrue(said.contains("cannot listen on 127.0.0.1 port " + port), said);
      assertFalse(said.contains("is running"), said);
    }
  }

  private record Answer(int status, String head, String body) {}

  /** Last: it stops the run. */
  @Test
  @Order(Integer.MAX_VALUE)
  void stoppedWithSigtermItSaysGoingAwayToItsWebSocketsAndLogsItsStop() throws Exception {
    URI base = URI.create("http://127.0.0.1:" + port + "/");
    // A demo reply first: its HTTP client's threads must not outlive the node either.
    Http http = new Http(base);
    Http.Response started = http.postJson("demo/replies", "{\"prompt\":\"Why a log?\"}");
    assertEquals(202, started.status(), started.body());
    String demoStream = Json.MAPPER.readTree(started.body()).get("streamId").asText();
    await("the demo reply's completion")
        .atMost(Duration.ofSeconds(60))
        .until(() -> "completed".equals(status(http, demoStream)));
    try (WsClient client = WsClient.connect(base.resolve("ws/streams/embedded-stop"))) {
      new Http(base).postJson("api/streams/embedded-stop/chunks", Http.chunk("m", "before"));
      client.next(Duration.ofSeconds(30)); // delivered: the connection is registered
      run.process().destroy();
      assertEquals(1001, client.closeCode(Duration.ofSeconds(30)), tail());
    }
    assertTrue(run.process().waitFor(30, TimeUnit.SECONDS), "the run stops on SIGTERM");
    // The JDK's shutdown no longer silences the log before the node has stopped.
    String logged = run.console();
    assertTrue(logged.contains("said going away (1001) to 1 WebSocket connections"), tail());
    assertTrue(logged.contains("Chunk Relay node stopped"), tail());
    // A normal stop is quiet: no leaked threads, no lost connections, no failed parts.
    String stop = run.afterStart();
    for (String noise :
        List.of(
            "memory leak",
            "connection lost",
            "57P01",
            "SEVERE",
            "did not end",
            "failed",
            "add-opens")) {
      assertFalse(stop.contains(noise), "'" + noise + "' after the start:\n" + tail());
    }
  }

  private static String status(Http http, String streamId) throws IOException {
    Http.Response stream = http.get("api/streams/" + streamId);
    return stream.status() == 200
        ? Json.MAPPER.readTree(stream.body()).get("status").asText()
        : "absent";
  }

  /** One request over a fresh connection, read until the node closes it. */
  private static Answer send(String requestLine, String headers) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          (requestLine
                  + "\r\nHost: 127.0.0.1:"
                  + port
                  + "\r\n"
                  + headers
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      in.transferTo(bytes);
      String text = bytes.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      String head = end < 0 ? text : text.substring(0, end);
      String body = end < 0 ? "" : text.substring(end + 4);
      if (head.toLowerCase().contains("transfer-encoding: chunked")) {
        body = dechunk(body);
      }
      return new Answer(Integer.parseInt(head.substring(9, 12)), head, body);
    }
  }

  /** The body of a chunked answer (ASCII JSON here, so characters count as bytes). */
  private static String dechunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return body.toString();
      }
      body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }

  private static String tail() {
    return run.tail();
  }
}
