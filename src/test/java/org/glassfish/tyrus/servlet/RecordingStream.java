package org.glassfish.tyrus.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A container stream that counts its flushes; ready unless a test says the client stopped reading
 * ({@link #ready}), as Tomcat's is once the socket's buffer is full.
 */
final class RecordingStream extends ServletOutputStream {
  final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  volatile int flushes;
  volatile boolean closed;
  volatile boolean ready = true;

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public void setWriteListener(WriteListener listener) {}

  @Override
  public synchronized void write(int b) {
    bytes.write(b);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    bytes.write(b, off, len);
  }

  @Override
  public synchronized void flush() {
    flushes++;
  }

  synchronized String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
