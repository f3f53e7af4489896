package org.glassfish.tyrus.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.glassfish.tyrus.spi.CompletionHandler;
import org.junit.jupiter.api.Test;

/**
 * The writer's flushes with and without a {@link WriteBatch}, over a hand-written container stream:
 * a batch of frames is one flush at its end, every frame's send still completes when the container
 * took it, and a close is never held back.
 */
class WriteBatchTest {
  private final RecordingStream stream = new RecordingStream();
  private final TyrusServletWriter writer = new TyrusServletWriter(new RecordingUpgrade(stream));
  private final List<String> completed = new ArrayList<>();

  @Test
  void withoutABatchEveryFrameIsFlushedOnItsOwn() {
    start();
    for (int i = 0; i < 5; i++) {
      write("f" + i);
    }
    assertEquals(5, stream.flushes);
    assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), completed);
  }

  @Test
  void framesWrittenInABatchLeaveInOneFlushAtItsEnd() {
    start();
    WriteBatch.run(
        () -> {
          for (int i = 0; i < 20; i++) {
            write("f" + i);
          }
          assertEquals(0, stream.flushes, "nothing flushed inside the batch");
          assertEquals(20, completed.size(), "each send completed when the container took it");
          WriteBatch.run(() -> write("nested"));
          assertEquals(0, stream.flushes, "a nested batch joins the outer one");
        });
    assertEquals(1, stream.flushes);
    assertEquals("f0f1f2f3f4f5f6f7f8f9f10f11f12f13f14f15f16f17f18f19nested", stream.text());
  }

  @Test
  void whatABatchHeldBackCanBeFlushedBeforeSomethingSlow() {
    start();
    WriteBatch.run(
        () -> {
          write("before-the-read");
          WriteBatch.flushHeld();
          assertEquals(1, stream.flushes, "held frames left before the slow part");
          write("after-the-read");
          assertEquals(1, stream.flushes, "and the batch is still open");
        });
    assertEquals(2, stream.flushes);
    assertEquals("before-the-readafter-the-read", stream.text());
  }

  @Test
  void aCloseInsideABatchIsFlushedAtOnce() {
    start();
    WriteBatch.run(
        () -> {
          write("last");
          write("close-frame");
          writer.close();
          assertEquals(1, stream.flushes, "the close frame left without waiting for the batch");
          assertTrue(stream.closed, "and the connection closed once it had");
        });
    assertEquals(1, stream.flushes);
    assertEquals("lastclose-frame", stream.text());
  }

  @Test
  void aBatchOnOneThreadDoesNotHoldBackAnotherThreadsWrites() throws Exception {
    start();
    WriteBatch.run(
        () -> {
          write("held");
          Thread other = new Thread(() -> write("other"));
          other.start();
          try {
            other.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          assertEquals(1, stream.flushes, "the other thread flushed what it wrote");
        });
    assertEquals(2, stream.flushes);
  }

  private void start() {
    write("hello");
    writer.onWritePossible(); // the container's first call after setWriteListener
    stream.flushes = 0;
    completed.clear();
    stream.bytes.reset();
  }

  private void write(String text) {
    writer.write(
        ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
        new CompletionHandler<>() {
          @Override
          public void completed(ByteBuffer result) {
            synchronized (completed) {
              completed.add(text);
            }
          }
        });
  }
}
