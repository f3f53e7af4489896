package io.chunkrelay.web.edge;

import io.chunkrelay.logs.LogLimiter;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;
import jakarta.websocket.CloseReason;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler;
import org.glassfish.tyrus.spi.Connection;
import org.glassfish.tyrus.spi.WebSocketEngine;
import org.glassfish.tyrus.spi.Writer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tyrus's upgrade handler with {@link ClientFrames} between the socket and Tyrus's reader, so an
 * unmasked client frame is closed with 1002 and an oversized one with 1009, in one log line, before
 * Tyrus buffers or takes it.
 *
 * <p>{@link AccessFilter} hands this class to the container when Tyrus asks for its own handler
 * (the servlet API lets a request wrapper choose the class), so everything else, from the handshake
 * to the writer, is Tyrus's. The handler keeps the {@link Connection} Tyrus creates in {@code init}
 * and closes it the way Tyrus closes one itself on a read failure: a close frame with the code,
 * then the socket. Public with a public constructor because the container instantiates it.
 */
public final class CheckedUpgradeHandler extends TyrusHttpUpgradeHandler {
  private static final Logger LOG = LoggerFactory.getLogger(CheckedUpgradeHandler.class);
  private static final LogLimiter LOGS = new LogLimiter();

  private final ClientFrames frames = new ClientFrames(ClientFrames.MAX_CLIENT_FRAME_BYTES);
  private final AtomicBoolean refused = new AtomicBoolean();
  private volatile Connection connection;
  private volatile String peer = "?";

  /** For the container, which creates the handler when the request is upgraded. */
  public CheckedUpgradeHandler() {
    super();
  }

  /** Who the client is, for the log line a refusal writes. */
  void peer(String address) {
    this.peer = address;
  }

  @Override
  public void preInit(WebSocketEngine.UpgradeInfo upgradeInfo, Writer writer, boolean auth) {
    super.preInit(
        new WebSocketEngine.UpgradeInfo() {
          @Override
          public WebSocketEngine.UpgradeStatus getStatus() {
            return upgradeInfo.getStatus();
          }

          @Override
          public Connection createConnection(Writer out, Connection.CloseListener listener) {
            connection = upgradeInfo.createConnection(out, listener);
            return connection;
          }
        },
        writer,
        auth);
  }

  @Override
  public void init(WebConnection webConnection) {
    super.init(new CheckedWebConnection(webConnection));
  }

  @Override
  public void onDataAvailable() {
    super.onDataAvailable();
    ClientFrames.Refusal refusal = frames.refusal();
    if (refusal != null && connection != null && refused.compareAndSet(false, true)) {
      LOGS.info(
          LOG,
          "refused-frame " + refusal.closeCode(),
          "ws from {} closed with {}: {}",
          peer,
          refusal.closeCode(),
          refusal.reason());
      connection.close(
          new CloseReason(
              CloseReason.CloseCodes.getCloseCode(refusal.closeCode()), refusal.reason()));
    }
  }

  /** The container's connection, its input passed through {@link ClientFrames}. */
  private final class CheckedWebConnection implements WebConnection {
    private final WebConnection delegate;
    private volatile CheckedInput input;

    CheckedWebConnection(WebConnection delegate) {
      this.delegate = delegate;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (input == null) {
        input = new CheckedInput(delegate.getInputStream());
      }
      return input;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      return delegate.getOutputStream();
    }

    @Override
    public void close() throws Exception {
      delegate.close();
    }
  }

  /** Hands Tyrus only the bytes {@link ClientFrames} admits; not ready once it refused. */
  private final class CheckedInput extends ServletInputStream {
    private final ServletInputStream delegate;

    CheckedInput(ServletInputStream delegate) {
      this.delegate = delegate;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      int read = delegate.read(bytes, offset, length);
      return read <= 0 ? read : frames.admit(bytes, offset, read);
    }

    @Override
    public int read() throws IOException {
      int value = delegate.read();
      if (value < 0 || frames.admit(new byte[] {(byte) value}, 0, 1) == 1) {
        return value;
      }
      throw new IOException("client frame refused: " + frames.refusal().reason());
    }

    @Override
    public int available() throws IOException {
      return frames.refusal() == null ? delegate.available() : 0;
    }

    @Override
    public boolean isFinished() {
      return delegate.isFinished();
    }

    @Override
    public boolean isReady() {
      return frames.refusal() == null && delegate.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      delegate.setReadListener(listener);
    }
  }
}
