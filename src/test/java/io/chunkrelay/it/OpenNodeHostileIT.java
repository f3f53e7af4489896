package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.RawHttp;
import java.net.URI;
import java.net.URL;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An attacker against a node that asks for no token (the embedded run's default, {@code
 * CHUNK_RELAY_AUTH=none}): what reaches "loopback only" from a page the developer opens.
 */
@ExtendWith(ArquillianExtension.class)
class OpenNodeHostileIT {
  private static final String REBOUND = "rebind.attacker.test:18190";

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  private URI node() {
    return URI.create(base.toString());
  }

  private String path(String rest) {
    return node().getPath().replaceAll("/$", "") + rest;
  }

  /** A request as a browser on {@code host} sends it: its Host, and that page's Origin. */
  private RawHttp.Answer asPageOn(String host, String method, String path, String body) {
    String request =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: "
            + host
            + "\r\nOrigin: http://"
            + host
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
            + "\r\nConnection: close\r\n\r\n"
            + body;
    return RawHttp.exchange(node(), request, 10_000);
  }

  private RawHttp.Answer handshakeAsPageOn(String host, String stream) {
    return RawHttp.exchange(
        node(),
        "GET "
            + path("/ws/streams/" + stream + "?after=0")
            + " HTTP/1.1\r\nHost: "
            + host
            + "\r\nOrigin: http://"
            + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        10_000);
  }

  @Test
  void aRenamedHostReachesNothingWhileTheNodesOwnNamesAreServed() {
    String stream = "rebind-" + UUID.randomUUID();
    new Http(base).postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "secret reply"));
    String local = "localhost:" + node().getPort();

    for (String[] attempt :
        new String[][] {
          {"GET", path("/"), ""},
          {"GET", path("/api/streams/" + stream + "/chunks?after=0"), ""},
          {"GET", path("/health"), ""},
          {"POST", path("/api/streams/" + stream + "/chunks"), Http.chunk("m", "forged")},
          {"POST", path("/api/streams/" + stream + "/complete"), ""},
          {"POST", path("/demo/replies"), "{\"prompt\":\"hi\"}"},
        }) {
      RawHttp.Answer rebound = asPageOn(REBOUND, attempt[0], attempt[1], attempt[2]);
      assertEquals(421, rebound.status(), attempt[0] + " " + attempt[1] + ": " + rebound);
      assertEquals("host-not-allowed", rebound.code(), rebound.toString());
    }
    RawHttp.Answer socket = handshakeAsPageOn(REBOUND, stream);
    assertEquals(421, socket.status(), "the WebSocket handshake: " + socket);
    assertEquals(
        java.util.List.of(new ChunkTable.Row(1, "m", "secret reply", false)),
        ChunkTable.chunks(stream),
        "a refused request changes nothing");

    // The node's own names stay served, so the refusals above are for the name alone.
    assertEquals(200, asPageOn(local, "GET", path("/api/streams/" + stream), "").status());
    assertEquals(
        200,
        asPageOn("127.0.0.1:" + node().getPort(), "GET", path("/api/streams/" + stream), "")
            .status());
    assertEquals(101, handshakeAsPageOn(local, stream).status());
  }
}
