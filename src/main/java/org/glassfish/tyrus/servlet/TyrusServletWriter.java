package org.glassfish.tyrus.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.glassfish.tyrus.spi.CompletionHandler;
import org.glassfish.tyrus.spi.Writer;

/**
 * Keeps promise 5 (lossless under pressure) on Tomcat 10.1/11.
 *
 * <p>Chunk Relay's replacement for Tyrus 2.2.0's class of the same name: the bridge from Tyrus
 * frames to the servlet container's upgraded output stream.
 *
 * <p><b>Why it exists.</b> Tyrus's own version calls {@link ServletOutputStream#isReady()} before
 * it ever calls {@link ServletOutputStream#setWriteListener}. Tomcat 10.1 and 11 reject that ("It
 * is illegal to call canWrite() when the ServletOutputStream is not in non-blocking mode"), so the
 * handshake succeeds and then every server-to-client frame fails. A class in the WAR's {@code
 * WEB-INF/classes} is loaded before the same class in {@code WEB-INF/lib}, and the Tyrus jar is not
 * sealed, so this file takes its place. {@code TyrusServletWriterGuardTest} fails when the Tyrus
 * version or its original class changes, so an upgrade is re-examined rather than silently
 * shadowed.
 *
 * <p><b>How it writes.</b> Strictly by the Servlet non-blocking contract: the write listener is set
 * before the first write; bytes are handed to the stream only after {@code isReady()} said yes;
 * when it says no, the container calls {@link #onWritePossible()} later and the queue drains from
 * there. No thread ever blocks on a slow client: frames wait in this connection's FIFO queue and
 * their completion handlers fire only once the container has taken the bytes, which is what gives
 * Tyrus's async sends (and Chunk Relay's bounded per-connection queue above them) real
 * back-pressure. Frames written inside a {@link WriteBatch} are flushed once, when the batch ends
 * (a close frame at once), so a burst of small frames costs one system call, not one each.
 *
 * <p><b>Concurrency.</b> Tyrus calls {@link #write} from any application thread and the container
 * calls {@link #onWritePossible()} and {@link #onError} from its own; one lock guards the queue and
 * the stream, so frames from concurrent senders go out whole and in the order they were queued.
 * Completion handlers run outside the lock, in queue order, one at a time; a handler that sends the
 * next frame (the usual async chain) does not recurse, because the thread already running handlers
 * picks the new one up in its loop.
 *
 * <p><b>One rule for endpoints.</b> A frame written during the upgrade itself (from {@code onOpen})
 * waits for the container's first {@code onWritePossible}, which Tomcat dispatches only after the
 * upgrade returns. Async sends from {@code onOpen} are fine; a blocking send there would wait for
 * itself, so Chunk Relay's endpoint never does one.
 *
 * <p><b>Closing.</b> Tyrus queues its close frame and then immediately closes the writer. Closing
 * is therefore graceful: the connection is closed once the queue and the container's buffer are
 * empty, or after {@value #CLOSE_DRAIN_TIMEOUT_SECONDS} s if the client stopped reading (or at once
 * when the web application stops: {@link CloseDeadlines}); frames still queued then fail.
 */
final class TyrusServletWriter extends Writer implements WriteListener {
  private static final Logger LOGGER = Logger.getLogger(TyrusServletWriter.class.getName());

  /** How long a close waits for a client that is not reading before dropping the connection. */
  static final long CLOSE_DRAIN_TIMEOUT_SECONDS = 10;

  private final TyrusHttpUpgradeHandler upgradeHandler;
  private final CloseDeadlines deadlines;
  private final Object lock = new Object();

  // All fields below are guarded by lock.
  private final ArrayDeque<QueuedFrame> queue = new ArrayDeque<>();
  private final ArrayDeque<Runnable> callbacks = new ArrayDeque<>();
  private boolean runningCallbacks;
  private ServletOutputStream out;
  private boolean closeRequested;
  private boolean closed;
  private Throwable failure;

  private record QueuedFrame(ByteBuffer frame, CompletionHandler<ByteBuffer> handler) {}

  TyrusServletWriter(TyrusHttpUpgradeHandler upgradeHandler) {
    this(upgradeHandler, CloseDeadlines.SHARED);
  }

  TyrusServletWriter(TyrusHttpUpgradeHandler upgradeHandler, CloseDeadlines deadlines) {
    this.upgradeHandler = upgradeHandler;
    this.deadlines = deadlines;
  }

  @Override
  public void write(ByteBuffer frame, CompletionHandler<ByteBuffer> handler) {
    synchronized (lock) {
      if (closed || closeRequested || failure != null) {
        fail(handler, failure != null ? failure : new IOException("connection is closing"));
      } else {
        queue.add(new QueuedFrame(frame, handler));
        if (out == null) {
          startNonBlocking();
        } else {
          drain();
        }
      }
    }
    runCallbacks();
  }

  @Override
  public void onWritePossible() {
    synchronized (lock) {
      if (!closed) {
        drain();
      }
    }
    runCallbacks();
  }

  /** The end of a {@link WriteBatch} this writer was written to in: flush what it deferred. */
  void flushDeferred() {
    onWritePossible();
  }

  @Override
  public void onError(Throwable t) {
    LOGGER.log(Level.FINE, "WebSocket write failed; failing queued frames", t);
    boolean closeNow;
    synchronized (lock) {
      closeNow = abandon(t);
    }
    runCallbacks();
    if (closeNow) {
      closeConnection();
    }
  }

  @Override
  public void close() {
    boolean closeNow;
    boolean draining;
    synchronized (lock) {
      if (closed || closeRequested) {
        return;
      }
      closeRequested = true;
      if (out != null && failure == null) {
        drain();
      }
      closeNow = !closed && (out == null || failure != null);
      if (closeNow) {
        closed = true;
      }
      draining = !closed;
    }
    if (draining) {
      // Outside the lock: after the web application stopped, the deadline passes at once.
      deadlines.after(CLOSE_DRAIN_TIMEOUT_SECONDS, this::closeUndrained);
    }
    runCallbacks();
    if (closeNow) {
      closeConnection();
    }
  }

  /** Enters non-blocking mode; the container then calls {@link #onWritePossible()}. */
  private void startNonBlocking() {
    try {
      out = upgradeHandler.getWebConnection().getOutputStream();
      out.setWriteListener(this);
    } catch (IOException | RuntimeException e) {
      abandon(e);
    }
  }

  /**
   * Hands queued frames to the container while it accepts them, then flushes. Returns at the first
   * {@code isReady() == false}: the container promises an {@link #onWritePossible()} after that.
   */
  private void drain() {
    try {
      while (!queue.isEmpty()) {
        if (!out.isReady()) {
          return;
        }
        QueuedFrame next = queue.poll();
        ByteBuffer frame = next.frame();
        if (frame.hasArray()) {
          out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        } else {
          byte[] bytes = new byte[frame.remaining()];
          frame.duplicate().get(bytes);
          out.write(bytes);
        }
        if (next.handler() != null) {
          callbacks.add(() -> next.handler().completed(frame));
        }
      }
      if (out.isReady()) {
        if (!closeRequested && WriteBatch.deferFlush(this)) {
          return; // the thread's WriteBatch flushes once, when it ends
        }
        out.flush();
        if (closeRequested && out.isReady()) {
          // Everything, the close frame included, has left the container's buffer.
          closed = true;
          callbacks.add(this::closeConnection);
        }
      }
    } catch (IOException | RuntimeException e) {
      if (abandon(e)) {
        callbacks.add(this::closeConnection);
      }
    }
  }

  /** Fails every queued frame; returns whether the caller must now close the connection. */
  private boolean abandon(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    QueuedFrame frame;
    while ((frame = queue.poll()) != null) {
      fail(frame.handler(), cause);
    }
    if (closed) {
      return false;
    }
    closed = true;
    return true;
  }

  private void closeUndrained() {
    boolean closeNow;
    synchronized (lock) {
      closeNow =
          !closed
              && abandon(
                  new IOException(
                      "client did not read for "
                          + CLOSE_DRAIN_TIMEOUT_SECONDS
                          + " s after the connection was closed"));
    }
    runCallbacks();
    if (closeNow) {
      closeConnection();
    }
  }

  private void closeConnection() {
    try {
      upgradeHandler.getWebConnection().close();
    } catch (Exception e) {
      LOGGER.log(Level.FINE, "closing the upgraded connection failed", e);
    }
  }

  private void fail(CompletionHandler<ByteBuffer> handler, Throwable cause) {
    if (handler != null) {
      callbacks.add(() -> handler.failed(cause));
    }
  }

  /** Runs queued completion handlers outside the lock, one thread at a time, in queue order. */
  private void runCallbacks() {
    while (true) {
      Runnable next;
      synchronized (lock) {
        if (runningCallbacks || callbacks.isEmpty()) {
          return;
        }
        runningCallbacks = true;
        next = callbacks.poll();
      }
      try {
        next.run();
      } catch (RuntimeException e) {
        LOGGER.log(Level.WARNING, "a WebSocket send completion handler failed", e);
      } finally {
        synchronized (lock) {
          runningCallbacks = false;
        }
      }
    }
  }
}
