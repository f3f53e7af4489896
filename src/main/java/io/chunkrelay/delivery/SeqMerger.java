package io.chunkrelay.delivery;

import java.util.List;
import java.util.TreeMap;

/**
 * Keeps promises 3 to 5 (exactly once, in order; subscribe first, then backfill; lossless under
 * pressure) for one connection, as a plain class without threads, clocks or I/O: given the live
 * chunks as they arrive and the pages read from the chunk log, it decides what to queue for the
 * client next and when the log must be read. Its shell, {@link StreamConnection}, performs the
 * reads and the sends it asks for and feeds their outcomes back.
 *
 * <p>{@code next} is the seq of the next chunk to queue. Until the first read reached the log's
 * head, live chunks are held; after a read, held chunks continue from {@code next} (a held chunk
 * below it is a duplicate, dropped; one above it is a gap, read from the log first). While LIVE, a
 * chunk at {@code next} is queued at once and one beyond it makes the merger read the log. When the
 * outbound queue is full the merger stops holding anything (LAGGING) and reads the log again once
 * the client drained half of it: nothing is dropped for good. See {@link DeliveryState}.
 *
 * <p>The feed is believed only as far as the log bears it out. A live chunk that continues what the
 * connection has is queued on the strength of its seal (a node of the cluster published it after
 * its commit); one beyond a hole is held, and dropped if the log still does not hold it after
 * {@link #CONFIRMING_READS} reads that began after it was heard; a completion heard live only makes
 * the merger read the log, and the complete frame always comes from what a read found. So a message
 * naming a seq past the log's head or a completion the log does not hold is never shown or acted
 * on, and holds a connection's reads and its completion back for at most those reads.
 *
 * <p>Not thread-safe: its shell calls it from one serial executor.
 */
final class SeqMerger {
  /** What the merger reports, for metrics. */
  interface Tally {
    default void duplicateDropped() {}

    default void lagged() {}

    default void queued(int frames, long bytes) {}

    /** Held chunks the log did not bear out, dropped. */
    default void unconfirmedDropped(int chunks) {}
  }

  /**
   * Reads, each ending at the log's head, that must miss a held chunk before it is dropped: a read
   * may have begun before the chunk's commit, and one joined from another connection (see {@link
   * SharedReads}) even earlier; the third read after it was heard began after it was heard.
   */
  static final int CONFIRMING_READS = 3;

  /** A chunk heard live and not yet queued, with how many reads had ended when it was heard. */
  private record Held(Frame frame, long readsBefore) {}

  private final OutboundQueue queue;
  private final TreeMap<Long, Held> held = new TreeMap<>();
  private final int maxHeld;
  private final Tally tally;

  private DeliveryState state = DeliveryState.OPENING;
  private long next;
  private long readsDone;
  private boolean readWanted;
  private boolean rereadBeforeLive;
  private long completedLastSeq = LiveEvent.NOT_COMPLETED;

  /** The completed stream's head hash chain link, read with {@link #completedLastSeq}. */
  private String completedChain;

  private boolean completeQueued;
  private boolean finished;

  /**
   * @param after the last seq the client has
   * @param maxQueuedFrames bound of the outbound queue, frames (also the most chunks held)
   * @param maxQueuedBytes bound of the outbound queue, UTF-8 bytes
   */
  SeqMerger(long after, int maxQueuedFrames, long maxQueuedBytes, Tally tally) {
    this.next = after + 1;
    this.queue = new OutboundQueue(maxQueuedFrames, maxQueuedBytes);
    this.maxHeld = maxQueuedFrames;
    this.tally = tally;
  }

  DeliveryState state() {
    return state;
  }

  /** The seq of the next chunk to queue; a read of the log starts after {@code next - 1}. */
  long next() {
    return next;
  }

  /** Whether the log must be read from {@link #next()} now. */
  boolean readWanted() {
    return readWanted;
  }

  /** Whether the complete frame was sent: the connection closes normally. */
  boolean finished() {
    return finished;
  }

  /** Registered: waiting for the live feed to confirm the subscription. */
  void subscribing() {
    move(DeliveryState.SUBSCRIBING);
  }

  /** The feed confirmed the subscription (or is down): read the log. */
  void subscribed() {
    if (state == DeliveryState.SUBSCRIBING) {
      startRead();
    }
  }

  /**
   * A page of the log read from {@link #next()}: its chunks' frames in seq order, whether it was a
   * full page (more may follow), the stream's last seq if it is completed ({@link
   * LiveEvent#NOT_COMPLETED} if not) with its head's hash chain link, and its head as of the read
   * (0 for a stream not yet created).
   */
  void page(
      List<Frame> frames, boolean full, long completedAt, String completedChain, long logHead) {
    if (state != DeliveryState.BACKFILLING) {
      return;
    }
    readWanted = false;
    readsDone++;
    for (Frame frame : frames) {
      if (frame.seq() != next) {
        throw new IllegalStateException("the log returned seq " + frame.seq() + ", not " + next);
      }
      if (!enqueue(frame)) {
        return;
      }
    }
    if (full) {
      readWanted = true;
      return;
    }
    noteCompleted(completedAt, completedChain);
    mergeHeld(logHead);
  }

  /** Chunks heard live, and/or that the stream was completed. */
  void live(LiveEvent event) {
    if (state == DeliveryState.CLOSED || state == DeliveryState.OPENING) {
      return;
    }
    switch (state) {
      case SUBSCRIBING, BACKFILLING -> hold(event.chunks());
      case LIVE -> liveChunks(event.chunks());
      default -> {
        // LAGGING: live chunks are not held; the log has them when the client catches up.
      }
    }
    if (event.completedLastSeq() != LiveEvent.NOT_COMPLETED
        && completedLastSeq == LiveEvent.NOT_COMPLETED) {
      // Heard, not yet read: the log says where the stream ends.
      if (state == DeliveryState.LIVE) {
        startRead();
      } else if (state != DeliveryState.CLOSED) {
        rereadBeforeLive = true;
      }
    }
  }

  private void liveChunks(List<Frame> chunks) {
    for (int i = 0; i < chunks.size(); i++) {
      Frame frame = chunks.get(i);
      if (frame.seq() < next) {
        tally.duplicateDropped();
      } else if (frame.seq() > next) {
        // A gap: hold what arrived, read what is missing, then merge.
        hold(chunks.subList(i, chunks.size()));
        startRead();
        return;
      } else if (!enqueue(frame)) {
        return;
      }
    }
    completeOrRead();
  }

  /**
   * Something may have been published without reaching this connection (the stream went quiet, the
   * feed came back, a message could not be read): check the log before trusting the feed again.
   */
  void mayHaveMissed() {
    switch (state) {
      case LIVE -> startRead();
      case SUBSCRIBING, BACKFILLING -> rereadBeforeLive = true;
      default -> {
        // OPENING and LAGGING read the log anyway; CLOSED is final.
      }
    }
  }

  /** The frame to send next, or null when nothing may be sent now (fail closed). */
  Frame head() {
    return head(0);
  }

  /**
   * The frame {@code index} places behind the head (the head being 0), for a connection whose first
   * {@code index} frames are already on their way; null when there is none, or nothing may be sent
   * now (fail closed).
   */
  Frame head(int index) {
    return state.isReady() ? queue.peek(index) : null;
  }

  /** The client took the {@link #head()} frame (sends complete in the order they were made). */
  void sent() {
    Frame frame = queue.peek();
    if (state == DeliveryState.CLOSED || frame == null) {
      return;
    }
    queue.removeHead();
    if (frame.last()) {
      finished = true;
    } else if (state == DeliveryState.LAGGING && queue.isBelowLowWater()) {
      startRead();
    }
  }

  /** Final: nothing more is queued, held, read or sent. */
  void close() {
    if (state != DeliveryState.CLOSED) {
      move(DeliveryState.CLOSED);
    }
    queue.clear();
    held.clear();
    readWanted = false;
  }

  private void startRead() {
    if (state != DeliveryState.BACKFILLING) {
      move(DeliveryState.BACKFILLING);
    }
    readWanted = true;
  }

  /**
   * After a read reached the log's head ({@code logHead}): queue held live chunks that continue
   * from next, and drop those the log has missed for long enough.
   */
  private void mergeHeld(long logHead) {
    held.headMap(next).clear();
    while (!held.isEmpty() && held.firstKey() == next) {
      if (!enqueue(held.pollFirstEntry().getValue().frame())) {
        return;
      }
    }
    if (!held.isEmpty()) {
      int before = held.size();
      held.tailMap(logHead, false)
          .values()
          .removeIf(chunk -> readsDone - chunk.readsBefore() >= CONFIRMING_READS);
      if (held.size() < before) {
        tally.unconfirmedDropped(before - held.size());
      }
    }
    if (!held.isEmpty() || rereadBeforeLive) {
      // A gap before the first held chunk, or something missed while reading: read again.
      rereadBeforeLive = false;
      readWanted = true;
      return;
    }
    if (completedLastSeq != LiveEvent.NOT_COMPLETED) {
      completeOrRead();
      return;
    }
    move(DeliveryState.LIVE);
  }

  /** Once the stream is known to be completed: queue the complete frame, or read up to its end. */
  private void completeOrRead() {
    if (completedLastSeq == LiveEvent.NOT_COMPLETED) {
      return;
    }
    if (next > completedLastSeq) {
      if (!completeQueued) {
        completeQueued = true;
        queue.force(Frame.complete(next - 1, completedChain));
      }
    } else {
      startRead();
    }
  }

  private void noteCompleted(long lastSeq, String chain) {
    if (lastSeq != LiveEvent.NOT_COMPLETED && lastSeq >= completedLastSeq) {
      // A completed stream's head never moves: every read of it gives the same seq and chain.
      completedLastSeq = lastSeq;
      completedChain = chain;
    }
  }

  private void hold(List<Frame> frames) {
    for (Frame frame : frames) {
      if (frame.seq() >= next) {
        held.put(frame.seq(), new Held(frame, readsDone));
      }
    }
    if (held.size() > maxHeld) {
      held.clear();
      rereadBeforeLive = true;
    }
  }

  /** Queues the frame as next; on a full queue the connection starts lagging instead. */
  private boolean enqueue(Frame frame) {
    if (!queue.offer(frame)) {
      move(DeliveryState.LAGGING);
      held.clear();
      readWanted = false;
      tally.lagged();
      return false;
    }
    next = frame.seq() + 1;
    tally.queued(queue.size(), queue.bytes());
    return true;
  }

  private void move(DeliveryState target) {
    state = state.moveTo(target);
  }
}
