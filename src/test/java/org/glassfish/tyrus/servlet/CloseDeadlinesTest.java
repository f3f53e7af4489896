package org.glassfish.tyrus.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.glassfish.tyrus.spi.CompletionHandler;
import org.junit.jupiter.api.Test;

/**
 * A closing connection whose client stopped reading waits for its deadline, and the web
 * application's stop passes every deadline at once and leaves no thread behind.
 */
class CloseDeadlinesTest {
  private final CloseDeadlines deadlines = new CloseDeadlines();
  private final List<String> outcomes = new ArrayList<>();

  @Test
  void aConnectionThatCannotDrainItsCloseIsDroppedWhenTheApplicationStops() {
    RecordingStream stream = new RecordingStream();
    TyrusServletWriter writer = opened(stream);
    stream.ready = false; // the client stopped reading
    write(writer, "queued");
    write(writer, "close-frame");
    writer.close();
    assertFalse(stream.closed, "the close waits for the client, up to its deadline");
    assertTrue(deadlines.running());

    deadlines.stopNow();

    assertTrue(stream.closed, "the stop dropped the connection");
    assertEquals(List.of("failed queued", "failed close-frame"), outcomes);
    assertFalse(deadlines.running(), "and its thread ended");
  }

  @Test
  void afterTheStopADeadlinePassesAtOnceWithoutAThread() {
    deadlines.stopNow();
    RecordingStream stream = new RecordingStream();
    TyrusServletWriter writer = opened(stream);
    stream.ready = false;
    write(writer, "close-frame");
    writer.close();
    assertTrue(stream.closed);
    assertFalse(deadlines.running());
  }

  @Test
  void aConnectionThatDrainsClosesAtOnceAndSetsNoDeadline() {
    RecordingStream stream = new RecordingStream();
    TyrusServletWriter writer = opened(stream);
    write(writer, "close-frame");
    writer.close();
    assertTrue(stream.closed);
    assertEquals(List.of("sent close-frame"), outcomes);
    assertFalse(deadlines.running(), "no thread started for it");
  }

  private TyrusServletWriter opened(RecordingStream stream) {
    TyrusServletWriter writer = new TyrusServletWriter(new RecordingUpgrade(stream), deadlines);
    writer.write(ByteBuffer.wrap(new byte[] {1}), null);
    writer.onWritePossible(); // the container's first call after setWriteListener
    return writer;
  }

  private void write(TyrusServletWriter writer, String text) {
    writer.write(
        ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
        new CompletionHandler<>() {
          @Override
          public void completed(ByteBuffer result) {
            outcomes.add("sent " + text);
          }

          @Override
          public void failed(Throwable throwable) {
            outcomes.add("failed " + text);
          }
        });
  }
}
