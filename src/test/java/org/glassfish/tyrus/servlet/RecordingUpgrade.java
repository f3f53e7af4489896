package org.glassfish.tyrus.servlet;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.WebConnection;

/** The upgrade handler, reduced to the connection a writer asks it for. */
final class RecordingUpgrade extends TyrusHttpUpgradeHandler {
  private final RecordingStream stream;

  RecordingUpgrade(RecordingStream stream) {
    this.stream = stream;
  }

  @Override
  WebConnection getWebConnection() {
    return new WebConnection() {
      @Override
      public ServletInputStream getInputStream() {
        throw new UnsupportedOperationException("the writer never reads");
      }

      @Override
      public ServletOutputStream getOutputStream() {
        return stream;
      }

      @Override
      public void close() {
        stream.closed = true;
      }
    };
  }
}
