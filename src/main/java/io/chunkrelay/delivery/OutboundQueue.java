package io.chunkrelay.delivery;

import java.util.ArrayList;

/**
 * Keeps the bound of promise 5 (lossless under pressure): one connection's frames waiting to be
 * sent, bounded by count and by bytes. Frames being sent stay in the queue until their sends
 * complete, so the bound covers them too. Not thread-safe: used only on its connection's serial
 * executor.
 */
final class OutboundQueue {
  // frames.get(head) is the head; removed frames before it are dropped in bulk (amortised O(1)),
  // so the frame n places behind the head is one index away: the send loop asks for each in turn.
  private final ArrayList<Frame> frames = new ArrayList<>();
  private int head;
  private final int maxFrames;
  private final long maxBytes;
  private long bytes;

  OutboundQueue(int maxFrames, long maxBytes) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  /** Adds the frame if it fits within both bounds; returns whether it did. */
  boolean offer(Frame frame) {
    if (size() >= maxFrames || bytes + frame.bytes() > maxBytes) {
      return false;
    }
    force(frame);
    return true;
  }

  /** Adds a frame regardless of the bounds (only the small final complete frame). */
  void force(Frame frame) {
    frames.add(frame);
    bytes += frame.bytes();
  }

  Frame peek() {
    return peek(0);
  }

  /** The frame {@code index} places behind the head, or null. */
  Frame peek(int index) {
    return index < size() ? frames.get(head + index) : null;
  }

  void removeHead() {
    if (size() == 0) {
      return;
    }
    bytes -= frames.get(head).bytes();
    frames.set(head++, null);
    if (head == frames.size()) {
      frames.clear();
      head = 0;
    } else if (head >= 64 && head * 2 >= frames.size()) {
      frames.subList(0, head).clear();
      head = 0;
    }
  }

  /** At most half full by count and by bytes: room to read from the log again. */
  boolean isBelowLowWater() {
    return size() <= maxFrames / 2 && bytes <= maxBytes / 2;
  }

  int size() {
    return frames.size() - head;
  }

  long bytes() {
    return bytes;
  }

  void clear() {
    frames.clear();
    head = 0;
    bytes = 0;
  }
}
