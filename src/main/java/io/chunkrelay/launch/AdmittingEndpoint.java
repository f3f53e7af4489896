package io.chunkrelay.launch;

import io.chunkrelay.logs.LogLimiter;
import io.chunkrelay.wire.ProblemType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one client address from taking a node down: Tomcat's NIO endpoint, admitting connections
 * per address and cutting request heads that trickle in.
 *
 * <p>A connection from an address that already holds {@link #setMaxConnectionsPerAddress} is
 * answered {@code 429 rate-limited} (with {@code Retry-After}) and closed as it is accepted, before
 * it costs a buffer or a poller slot; the node-wide bound is Tomcat's own {@code maxConnections}. A
 * request whose head (request line and headers) has not arrived within {@link #setHeaderTimeout} of
 * its first byte is cut, however steadily it trickles: Tomcat's read timeout alone restarts with
 * every byte. The cut goes through Tomcat's own timeout path (the connection's read timeout is
 * shortened), so the connection is closed by the thread that owns it.
 */
public class AdmittingEndpoint extends NioEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(AdmittingEndpoint.class);
  private static final LogLimiter LOGS = new LogLimiter();
  private static final long SWEEP_MILLIS = 1_000;
  private static final int RETRY_AFTER_SECONDS = 5;

  private volatile int maxConnectionsPerAddress = 1_000;
  private volatile int headerTimeoutMillis = 10_000;
  private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SocketChannel, InetAddress> addresses = new ConcurrentHashMap<>();
  private ScheduledFuture<?> sweeper;

  public AdmittingEndpoint() {
    // Every connection Tomcat holds passes through this map: counted in, counted out.
    connections = new Counted();
  }

  public int getMaxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  public void setMaxConnectionsPerAddress(int max) {
    this.maxConnectionsPerAddress = max;
  }

  public int getHeaderTimeout() {
    return headerTimeoutMillis;
  }

  public void setHeaderTimeout(int millis) {
    this.headerTimeoutMillis = millis;
  }

  /** Connections open now from {@code address}. */
  public int connectionsFrom(InetAddress address) {
    return perAddress.getOrDefault(address, 0);
  }

  @Override
  protected boolean setSocketOptions(SocketChannel socket) {
    InetAddress address;
    try {
      address = ((InetSocketAddress) socket.getRemoteAddress()).getAddress();
    } catch (IOException | RuntimeException gone) {
      return false;
    }
    // One acceptor thread: nothing is admitted between this check and the count below.
    if (connectionsFrom(address) >= maxConnectionsPerAddress) {
      refuse(socket, address);
      return false;
    }
    addresses.put(socket, address);
    boolean accepted = super.setSocketOptions(socket);
    if (!accepted) {
      addresses.remove(socket);
    }
    return accepted;
  }

  private void refuse(SocketChannel socket, InetAddress address) {
    LOGS.warn(
        LOG,
        "address-full",
        "refused a connection from {}: it holds {} already (CHUNK_RELAY_MAX_CONNECTIONS_PER_ADDRESS)",
        address.getHostAddress(),
        maxConnectionsPerAddress);
    ProblemType type = ProblemType.RATE_LIMITED;
    String body =
        "{\"type\":\""
            + ProblemType.TYPE_PREFIX
            + type.code()
            + "\",\"title\":\""
            + type.title()
            + "\",\"status\":"
            + type.status()
            + ",\"code\":\""
            + type.code()
            + "\",\"detail\":\"this address holds as many connections as it may; close some or"
            + " try again later\"}";
    String answer =
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\n"
            + "Retry-After: "
            + RETRY_AFTER_SECONDS
            + "\r\nConnection: close\r\nContent-Length: "
            + body.length()
            + "\r\n\r\n"
            + body;
    try {
      // A fresh connection's send buffer is empty: this short write does not wait for the client.
      socket.configureBlocking(false);
      socket.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
    } catch (IOException | RuntimeException gone) {
      // The client left already; the acceptor closes the socket either way.
    }
  }

  @Override
  public void startInternal() throws Exception {
    super.startInternal();
    sweeper =
        getUtilityExecutor()
            .scheduleWithFixedDelay(
                this::cutTrickledHeads, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void stopInternal() {
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    super.stopInternal();
  }

  /** Every connection whose request head is older than the header timeout times out now. */
  void cutTrickledHeads() {
    try {
      long now = System.nanoTime();
      long limit = TimeUnit.MILLISECONDS.toNanos(headerTimeoutMillis);
      for (SocketWrapperBase<NioChannel> wrapper : getConnections()) {
        // A processor stays with an idle connection only while its request's head is incomplete
        // (or the request went asynchronous): between requests it is released, and a request
        // being served holds it on its worker thread.
        if (wrapper.getCurrentProcessor() instanceof Http11Processor processor
            && !processor.isAsync()) {
          long started = processor.getRequest().getStartTimeNanos();
          if (started > 0 && now - started > limit) {
            LOGS.info(
                LOG,
                "header-timeout",
                "cut a connection from {} whose request head took over {} ms",
                wrapper.getRemoteAddr(),
                headerTimeoutMillis);
            // Tomcat's poller closes it at its next timeout check, on its own thread.
            wrapper.setReadTimeout(1);
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "the request-head check failed; it runs again in {} ms: {}", SWEEP_MILLIS, e.toString());
    }
  }

  /** The connections map Tomcat keeps, counting each connection's address in and out. */
  private final class Counted
      extends ConcurrentHashMap<SocketChannel, SocketWrapperBase<NioChannel>> {
    private static final long serialVersionUID = 1L;

    @Override
    public SocketWrapperBase<NioChannel> put(
        SocketChannel socket, SocketWrapperBase<NioChannel> wrapper) {
      SocketWrapperBase<NioChannel> previous = super.put(socket, wrapper);
      InetAddress address = addresses.get(socket);
      if (previous == null && address != null) {
        perAddress.merge(address, 1, Integer::sum);
      }
      return previous;
    }

    @Override
    public SocketWrapperBase<NioChannel> remove(Object socket) {
      SocketWrapperBase<NioChannel> removed = super.remove(socket);
      InetAddress address = addresses.remove(socket);
      if (removed != null && address != null) {
        perAddress.computeIfPresent(address, (a, count) -> count <= 1 ? null : count - 1);
      }
      return removed;
    }
  }
}
