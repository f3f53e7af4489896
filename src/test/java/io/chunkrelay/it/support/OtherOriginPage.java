package io.chunkrelay.it.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One HTML page served on a loopback port of its own (the JDK's HTTP server), so that a browser
 * test sees a page of another origin than the node's: {@code http://127.0.0.1:<port>}.
 */
public final class OtherOriginPage implements AutoCloseable {
  private final HttpServer server;
  private final int port;

  private OtherOriginPage(HttpServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /** Serves {@code html} at every path of {@code http://127.0.0.1:<port>/}. */
  public static OtherOriginPage serve(int port, String html) throws IOException {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    return new OtherOriginPage(server, port);
  }

  /** {@code http://127.0.0.1:<port>/}. */
  public String url() {
    return "http://127.0.0.1:" + port + "/";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
