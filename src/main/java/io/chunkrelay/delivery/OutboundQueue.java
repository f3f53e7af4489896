package io.chunkrelay.delivery;

import java.util.ArrayDeque;

/**
 * Keeps promise 5's bound: one connection's frames waiting to be sent, bounded by count and by
 * bytes. Frames being sent stay in the queue until their sends complete, so the bound covers them
 * too. Not thread-safe: used only on its connection's serial executor.
 */
final class OutboundQueue {
  private final ArrayDeque<Frame> frames = new ArrayDeque<>();
  private final int maxFrames;
  private final long maxBytes;
  private long bytes;

  OutboundQueue(int maxFrames, long maxBytes) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  /** Adds the frame if it fits within both bounds; returns whether it did. */
  boolean offer(Frame frame) {
    if (frames.size() >= maxFrames || bytes + frame.bytes() > maxBytes) {
      return false;
    }
    frames.add(frame);
    bytes += frame.bytes();
    return true;
  }

  /** Adds a frame regardless of the bounds (only the small final complete frame). */
  void force(Frame frame) {
    frames.add(frame);
    bytes += frame.bytes();
  }

  Frame peek() {
    return frames.peek();
  }

  /**
   * The frame {@code index} places behind the head, or null (a short walk: sends are few ahead).
   */
  Frame peek(int index) {
    if (index == 0) {
      return frames.peek();
    }
    if (index >= frames.size()) {
      return null;
    }
    java.util.Iterator<Frame> walk = frames.iterator();
    for (int i = 0; i < index; i++) {
      walk.next();
    }
    return walk.next();
  }

  void removeHead() {
    Frame head = frames.poll();
    if (head != null) {
      bytes -= head.bytes();
    }
  }

  /** At most half full by count and by bytes: room to read from the log again. */
  boolean isBelowLowWater() {
    return frames.size() <= maxFrames / 2 && bytes <= maxBytes / 2;
  }

  int size() {
    return frames.size();
  }

  long bytes() {
    return bytes;
  }

  void clear() {
    frames.clear();
    bytes = 0;
  }
}
