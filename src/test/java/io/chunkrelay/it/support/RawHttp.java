package io.chunkrelay.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP exchange written byte for byte, for requests no well-behaved client library sends (a
 * forged {@code Host}, a folded header, a broken chunk size): writes the request as given and reads
 * whatever answer comes, or notes that none did.
 */
public final class RawHttp {
  private RawHttp() {}

  /**
   * What came back: the status (0 when the connection ended without an answer), the headers (names
   * lower-cased) and the body as text.
   */
  public record Answer(int status, Map<String, String> headers, String body) {
    public boolean answered() {
      return status != 0;
    }

    /** The problem's stable code, or null when the body is no problem. */
    public String code() {
      int at = body.indexOf("\"code\":\"");
      return at < 0 ? null : body.substring(at + 8, body.indexOf('"', at + 8));
    }
  }

  /**
   * Sends {@code request} (its lines joined with CRLF by the caller, {@code \r\n\r\n} ending the
   * head) to the node at {@code base} and reads one answer, waiting at most {@code timeoutMillis}
   * for it.
   */
  public static Answer exchange(URI base, String request, int timeoutMillis) {
    return exchange(base, request.getBytes(StandardCharsets.UTF_8), timeoutMillis);
  }

  public static Answer exchange(URI base, byte[] request, int timeoutMillis) {
    return exchange(base, request, timeoutMillis, null);
  }

  /**
   * As {@link #exchange(URI, String, int)}, from the local address {@code from} (a loopback one).
   */
  public static Answer exchange(URI base, String request, int timeoutMillis, String from) {
    return exchange(base, request.getBytes(StandardCharsets.UTF_8), timeoutMillis, from);
  }

  private static Answer exchange(URI base, byte[] request, int timeoutMillis, String from) {
    try (Socket socket = new Socket()) {
      if (from != null) {
        socket.bind(new InetSocketAddress(from, 0));
      }
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
      socket.setSoTimeout(timeoutMillis);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one answer from {@code in}: status 0 when the connection ends before a status line. */
  public static Answer read(InputStream in) throws IOException {
    String status;
    try {
      status = line(in);
    } catch (SocketTimeoutException | java.net.SocketException ended) {
      return new Answer(0, Map.of(), "");
    }
    if (status == null || !status.startsWith("HTTP/")) {
      return new Answer(0, Map.of(), status == null ? "" : status);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
      int colon = line.indexOf(':');
      headers.put(
          line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).trim());
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    byte[] body;
    if (headers.containsKey("content-length")) {
      body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(in);
    } else if (code == 101 || code == 204 || code == 304) {
      body = new byte[0];
    } else {
      body = in.readAllBytes();
    }
    return new Answer(code, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static byte[] dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int size = Integer.parseInt(line(in).trim(), 16);
        size > 0;
        size = Integer.parseInt(line(in).trim(), 16)) {
      body.write(in.readNBytes(size));
      line(in);
    }
    line(in);
    return body.toByteArray();
  }

  /** One CRLF-ended line without its ending; null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }
}
