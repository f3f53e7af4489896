package io.chunkrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.testing.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A streamed request body written by hand over a plain socket ({@code Transfer-Encoding: chunked}),
 * one HTTP chunk per line, so a test decides exactly when each line leaves and when the body ends:
 * what the JDK client cannot be made to show.
 */
public final class ChunkedPost implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;

  /** A parsed answer: status, headers (lower-case names) and the JSON body. */
  public record Answer(int status, Map<String, String> headers, JsonNode json) {}

  private ChunkedPost(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /**
   * Opens {@code POST path} with {@code Content-Type: application/x-ndjson} on {@code host:port}
   * and sends the headers; {@code headers} are name, value pairs.
   */
  public static ChunkedPost open(String host, int port, String path, String... headers) {
    try {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress(host, port), 5_000);
      socket.setSoTimeout(30_000);
      ChunkedPost post = new ChunkedPost(socket);
      StringBuilder head = new StringBuilder();
      head.append("POST ").append(path).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(host).append(':').append(port).append("\r\n");
      head.append("Content-Type: application/x-ndjson\r\n");
      head.append("Transfer-Encoding: chunked\r\n");
      for (int i = 0; i + 1 < headers.length; i += 2) {
        head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      head.append("\r\n");
      post.out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      post.out.flush();
      return post;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends {@code line} and a newline as one HTTP chunk. */
  public ChunkedPost line(String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Ends the body and reads the answer. */
  public Answer end() {
    try {
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return answer();
  }

  /** Reads the answer (which a refusal sends before the body ended). */
  public Answer answer() {
    try {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String status = readLine(in);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      byte[] body;
      if (headers.containsKey("content-length")) {
        body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
      } else {
        body = dechunk(in);
      }
      String type = headers.getOrDefault("content-type", "");
      if (body.length > 0 && !type.contains("json")) {
        throw new AssertionError(
            status + " " + type + ": " + new String(body, StandardCharsets.UTF_8));
      }
      JsonNode json = body.length == 0 ? null : Json.MAPPER.readTree(body);
      return new Answer(Integer.parseInt(status.split(" ")[1]), headers, json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  private static byte[] dechunk(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int size = Integer.parseInt(readLine(in).trim(), 16);
        size > 0;
        size = Integer.parseInt(readLine(in).trim(), 16)) {
      body.write(in.readNBytes(size));
      readLine(in);
    }
    return body.toByteArray();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("the connection closed mid-answer");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }
}
