package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.EmbeddedRun;
import io.chunkrelay.it.support.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * One address floods the embedded run with connections whose request heads trickle in, a byte every
 * two seconds (bounded: 150 connections, about 15 s, on loopback). The node admits a bounded number
 * from that address, answers the rest {@code 429} at once, cuts every trickling head at its
 * deadline however steadily it trickles, and meanwhile serves another address's appends, health
 * checks and WebSocket handshakes as if nothing happened.
 */
class ConnectionFloodIT {
  private static final int PER_ADDRESS = 100;
  private static final int FLOOD = 150;
  private static final String ATTACKER = "127.0.0.1";
  private static final String NEIGHBOUR = "127.0.0.2";

  @Test
  void oneAddressCannotHoldTheNodeAndTrickledHeadsAreCut() throws Exception {
    try (EmbeddedRun run =
        EmbeddedRun.started(
            "connection-flood",
            Map.of("CHUNK_RELAY_MAX_CONNECTIONS_PER_ADDRESS", Integer.toString(PER_ADDRESS)))) {
      URI node = run.base();
      List<Socket> flood = new ArrayList<>();
      try {
        int refused = 0;
        for (int i = 0; i < FLOOD; i++) {
          Socket socket = new Socket();
          socket.bind(new InetSocketAddress(ATTACKER, 0));
          socket.connect(new InetSocketAddress(node.getHost(), node.getPort()), 5_000);
          socket
              .getOutputStream()
              .write(
                  "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Trickle: "
                      .getBytes(StandardCharsets.US_ASCII));
          flood.add(socket);
        }
        long trickleStarted = System.nanoTime();
        for (Socket socket : flood.subList(PER_ADDRESS, FLOOD)) {
          RawHttp.Answer answer = RawHttp.read(timed(socket, 5_000));
          assertEquals(429, answer.status(), "over the address's bound: " + answer);
          assertTrue(answer.body().contains("\"code\":\"rate-limited\""), answer.body());
          assertEquals("5", answer.headers().get("retry-after"));
          refused++;
        }
        assertEquals(FLOOD - PER_ADDRESS, refused);

        // Another address is served while the flood holds its connections.
        String stream = "flood-" + UUID.randomUUID();
        String body = "{\"messageId\":\"m\",\"content\":\"through\"}";
        RawHttp.Answer appended =
            RawHttp.exchange(
                node,
                "POST /api/streams/"
                    + stream
                    + "/chunks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + body.length()
                    + "\r\nConnection: close\r\n\r\n"
                    + body,
                5_000,
                NEIGHBOUR);
        assertEquals(201, appended.status(), appended.toString());
        RawHttp.Answer health =
            RawHttp.exchange(
                node,
                "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                5_000,
                NEIGHBOUR);
        assertEquals(200, health.status(), health.toString());
        RawHttp.Answer handshake =
            RawHttp.exchange(
                node,
                "GET /ws/streams/"
                    + stream
                    + "?after=0 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n",
                5_000,
                NEIGHBOUR);
        assertEquals(101, handshake.status(), handshake.toString());

        // The admitted heads trickle on, a byte every 2 s, until the node cuts them.
        List<Socket> trickling = new ArrayList<>(flood.subList(0, PER_ADDRESS));
        long deadline = trickleStarted + 20_000_000_000L;
        while (!trickling.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(2_000);
          trickling.removeIf(ConnectionFloodIT::cutOff);
        }
        long seconds = (System.nanoTime() - trickleStarted) / 1_000_000_000L;
        assertEquals(List.of(), trickling, "heads still open after " + seconds + " s of trickling");
        assertTrue(seconds >= 9, "cut at the head's deadline (10 s), not before: " + seconds);

        // The address has its room back.
        RawHttp.Answer again =
            RawHttp.exchange(
                node,
                "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                5_000,
                ATTACKER);
        assertEquals(200, again.status(), again.toString());
      } finally {
        for (Socket socket : flood) {
          socket.close();
        }
      }
    }
  }

  private static InputStream timed(Socket socket, int millis) throws IOException {
    socket.setSoTimeout(millis);
    return socket.getInputStream();
  }

  /** Sends the next byte of the head; true when the node has closed the connection. */
  private static boolean cutOff(Socket socket) {
    try {
      socket.getOutputStream().write('a');
      socket.getOutputStream().flush();
      socket.setSoTimeout(1);
      try {
        return socket.getInputStream().read() == -1;
      } catch (SocketTimeoutException stillOpen) {
        return false;
      }
    } catch (IOException closed) {
      return true;
    }
  }
}
