package io.chunkrelay.bench;

import io.chunkrelay.it.support.Http;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A streamed body of chunk lines ({@code application/x-ndjson}) made as the HTTP client reads it,
 * until a deadline: each line's content is the time it was made ({@code t=<nanoTime>}), so the
 * receiving client measures generation-to-delivery latency, and a node that reads slowly slows the
 * source down (TCP pushes back).
 */
final class LineSource extends InputStream {
  private final long deadlineNanos;
  private byte[] line = new byte[0];
  private int position;
  private long lines;

  LineSource(int seconds) {
    this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
  }

  long lines() {
    return lines;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) {
    int written = 0;
    while (written < length) {
      if (position == line.length && !nextLine(written == 0)) {
        break;
      }
      int n = Math.min(length - written, line.length - position);
      System.arraycopy(line, position, buffer, offset + written, n);
      position += n;
      written += n;
    }
    return written == 0 ? -1 : written;
  }

  /**
   * Makes the next line; false once the deadline passed (or, mid-buffer, to send what is there).
   */
  private boolean nextLine(boolean empty) {
    if (!empty && lines % 64 == 0) {
      return false;
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      return false;
    }
    line = (Http.chunk("m", "t=" + System.nanoTime()) + "\n").getBytes(StandardCharsets.UTF_8);
    position = 0;
    lines++;
    return true;
  }
}
