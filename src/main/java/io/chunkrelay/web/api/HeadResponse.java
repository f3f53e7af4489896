package io.chunkrelay.web.api;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The answer to a HEAD request: what GET would answer, status and headers alike, with the body
 * counted (for {@code Content-Length}) and dropped, as RFC 9110 asks of every resource that serves
 * GET.
 */
public final class HeadResponse extends HttpServletResponseWrapper {
  private final CountingStream body = new CountingStream();
  private PrintWriter writer;

  HeadResponse(HttpServletResponse response) {
    super(response);
  }

  @Override
  public ServletOutputStream getOutputStream() {
    return body;
  }

  @Override
  public PrintWriter getWriter() {
    if (writer == null) {
      writer = new PrintWriter(new OutputStreamWriter(body, StandardCharsets.UTF_8));
    }
    return writer;
  }

  /** Sets the length GET's body would have had; call once the GET handler returned. */
  void finish() {
    if (writer != null) {
      writer.flush();
    }
    if (!isCommitted()) {
      setContentLengthLong(body.count);
    }
  }

  private static final class CountingStream extends ServletOutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      count += length;
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      throw new IllegalStateException("a HEAD answer has no body to write asynchronously");
    }
  }
}
