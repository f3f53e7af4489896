package io.chunkrelay.it.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Clients that start a request and then fall silent (slowloris headers, a body announced and never
 * sent), as many as a test asks for, held open until {@link #close()}.
 */
public final class StalledClients implements AutoCloseable {
  private final List<Socket> sockets = new ArrayList<>();

  private StalledClients() {}

  /**
   * Opens {@code count} connections to {@code base}'s host and port; connection {@code i} sends the
   * first bytes of {@code request.apply(i)} (the path part of {@code base} comes first) and stops.
   */
  public static StalledClients open(URL base, int count, IntFunction<String> request)
      throws IOException {
    StalledClients clients = new StalledClients();
    try {
      for (int i = 0; i < count; i++) {
        Socket socket = new Socket(base.getHost(), base.getPort());
        clients.sockets.add(socket);
        OutputStream out = socket.getOutputStream();
        out.write(request.apply(i).getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException | RuntimeException e) {
      clients.close();
      throw e;
    }
    return clients;
  }

  /**
   * The status line's first 12 bytes ({@code HTTP/1.1 408}) the server answered client {@code i}.
   */
  public String status(int i) throws IOException {
    Socket socket = sockets.get(i);
    socket.setSoTimeout(30_000);
    return new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
