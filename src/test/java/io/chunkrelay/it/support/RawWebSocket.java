package io.chunkrelay.it.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A WebSocket client written against RFC 6455 byte by byte, for what well-behaved clients never
 * send: data frames to a server that only talks, frames larger than any server reads, unmasked
 * frames. It reports what the server answered: the text frames, then the close code.
 */
public final class RawWebSocket implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private Thread sending;

  /** What the server sent back: its text frames, its close code (-1: none, the socket dropped). */
  public record Answer(List<String> texts, int closeCode, String closeReason) {
    /** The {@code code} of the server's first error frame, or null. */
    public String errorCode() {
      return texts.stream()
          .filter(text -> text.contains("\"type\":\"error\""))
          .map(text -> text.replaceAll(".*\"code\":\"([^\"]*)\".*", "$1"))
          .findFirst()
          .orElse(null);
    }
  }

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Opens {@code ws://...} (given as {@code http://...}); fails unless the server answers 101. */
  public static RawWebSocket open(URI httpUri) throws IOException {
    Socket socket = new Socket(httpUri.getHost(), httpUri.getPort());
    socket.setSoTimeout(10_000);
    RawWebSocket client = new RawWebSocket(socket);
    byte[] key = new byte[16];
    RANDOM.nextBytes(key);
    String path =
        httpUri.getRawPath() + (httpUri.getRawQuery() == null ? "" : "?" + httpUri.getRawQuery());
    client.out.write(
        ("GET "
                + path
                + " HTTP/1.1\r\nHost: "
                + httpUri.getHost()
                + ":"
                + httpUri.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    client.out.flush();
    String status = client.headers();
    if (!status.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("handshake refused: " + status);
    }
    return client;
  }

  /** Sends one frame: {@code opcode} 1 text, 2 binary; unmasked if {@code masked} is false. */
  public RawWebSocket send(int opcode, byte[] payload, boolean masked) throws IOException {
    return write(frame(opcode, payload, masked, true));
  }

  /**
   * Sends one message of {@code opcode} in fragments: the first frame carries the opcode, the rest
   * are continuations, the last one final; all masked.
   */
  public RawWebSocket sendInFragments(int opcode, List<byte[]> fragments) throws IOException {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    for (int i = 0; i < fragments.size(); i++) {
      frames.write(frame(i == 0 ? opcode : 0, fragments.get(i), true, i == fragments.size() - 1));
    }
    return write(frames.toByteArray());
  }

  private static byte[] frame(int opcode, byte[] payload, boolean masked, boolean fin) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | opcode);
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      frame.write(mask | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(mask | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (((long) payload.length >>> shift) & 0xff));
      }
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] key = new byte[4];
      RANDOM.nextBytes(key);
      frame.write(key, 0, 4);
      for (int i = 0; i < body.length; i++) {
        body[i] ^= key[i % 4];
      }
    }
    frame.write(body, 0, body.length);
    return frame.toByteArray();
  }

  private RawWebSocket write(byte[] bytes) {
    // Written beside the reader: a server that refuses a large frame early closes while it is
    // still being sent, and its close frame must be read before its socket resets ours.
    sending =
        new Thread(
            () -> {
              try {
                out.write(bytes);
                out.flush();
              } catch (IOException closedWhileSending) {
                // The server may close before taking a frame it refuses: its answer counts.
              }
            },
            "raw-websocket-send");
    sending.setDaemon(true);
    sending.start();
    return this;
  }

  /** Reads frames until the server's close frame, or until the socket drops or stays silent. */
  public Answer answer() throws IOException {
    List<String> texts = new ArrayList<>();
    try {
      while (true) {
        int first = in.read();
        if (first < 0) {
          return new Answer(texts, -1, null);
        }
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
          length = in.readUnsignedShort();
        } else if (length == 127) {
          length = in.readLong();
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        int opcode = first & 0x0f;
        if (opcode == 8) {
          int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
          String reason =
              payload.length > 2
                  ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                  : "";
          return new Answer(texts, code, reason);
        }
        if (opcode == 1) {
          texts.add(new String(payload, StandardCharsets.UTF_8));
        }
      }
    } catch (SocketTimeoutException silent) {
      return new Answer(texts, -1, "silent");
    } catch (IOException dropped) {
      return new Answer(texts, -1, dropped.toString());
    }
  }

  private String headers() throws IOException {
    InputStream raw = in;
    StringBuilder headers = new StringBuilder();
    while (!headers.toString().endsWith("\r\n\r\n")) {
      int next = raw.read();
      if (next < 0) {
        break;
      }
      headers.append((char) next);
    }
    return headers.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
    if (sending != null) {
      try {
        sending.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
