package io.chunkrelay.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One benchmark producer's keep-alive HTTP/1.1 connection to a node: a request is one write, its
 * answer is read with a buffered stream. The JDK's HttpClient costs the driver about as much CPU
 * per request as the node spends serving it (two selector threads and several hand-offs per
 * request), and on this machine the driver shares the node's 2 cores, so it measured itself as much
 * as the node. Not thread-safe: one producer thread owns it. A node that ends the connection
 * ({@code Connection: close}, Tomcat's {@code maxKeepAliveRequests}) gets a new one at the next
 * request; a request whose connection broke is not resent (the caller fails loudly instead).
 */
final class KeepAliveHttp implements AutoCloseable {
  private static final int TIMEOUT_MILLIS = 30_000;

  private final URI base;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  /** A response: its status and its body as text. */
  record Answer(int status, String body) {}

  /** The token every request carries (a node that requires tokens), or null. */
  static volatile String bearer;

  KeepAliveHttp(URI base) {
    this.base = base;
  }

  /** POSTs {@code body} to {@code path} (relative to the base) and reads the whole answer. */
  Answer post(String path, String contentType, byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    String head =
        "POST "
            + base.getRawPath()
            + path
            + " HTTP/1.1\r\nHost: "
            + base.getHost()
            + ":"
            + base.getPort()
            + (bearer == null ? "" : "\r\nAuthorization: Bearer " + bearer)
            + "\r\nContent-Type: "
            + contentType
            + "\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    try {
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      return read();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(TIMEOUT_MILLIS);
    socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), TIMEOUT_MILLIS);
    in = new BufferedInputStream(socket.getInputStream(), 8192);
    out = new BufferedOutputStream(socket.getOutputStream(), 8192);
  }

  private Answer read() throws IOException {
    String status = line();
    if (!status.startsWith("HTTP/1.1 ")) {
      throw new IOException("not an HTTP/1.1 answer: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    boolean closing = false;
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
        case "connection" -> closing = value.equalsIgnoreCase("close");
        default -> {}
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      for (long size = Long.parseLong(line().split(";", 2)[0].trim(), 16);
          size > 0;
          size = Long.parseLong(line().split(";", 2)[0].trim(), 16)) {
        copy(size, body);
        line();
      }
      while (!line().isEmpty()) {
        // trailers, none expected
      }
    } else if (length >= 0) {
      copy(length, body);
    } else {
      in.transferTo(body);
      closing = true;
    }
    if (closing) {
      close();
    }
    return new Answer(code, body.toString(StandardCharsets.UTF_8));
  }

  private void copy(long bytes, ByteArrayOutputStream to) throws IOException {
    byte[] buffer = new byte[(int) Math.min(bytes, 8192)];
    for (long left = bytes; left > 0; ) {
      int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (read < 0) {
        throw new EOFException("the answer ended " + left + " bytes early");
      }
      to.write(buffer, 0, read);
      left -= read;
    }
  }

  /** One header line, without its CRLF. */
  private String line() throws IOException {
    StringBuilder line = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the node closed the connection mid-answer");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing a connection the benchmark is done with; nothing to recover
      }
      socket = null;
    }
  }
}
