package io.chunkrelay.delivery;

import io.chunkrelay.api.WireFormat;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.ChunkPage;
import io.chunkrelay.store.StoredChunk;
import io.chunkrelay.store.StreamStatus;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection's delivery of one stream, from {@code after + 1} on: every chunk once,
 * in seq order, then the complete frame.
 *
 * <p>{@code next} is the seq of the next chunk to put in the outbound queue. The connection
 * subscribes first and reads the chunk log only once Redis confirmed the subscription, so any chunk
 * committed after the read is certain to arrive live; live chunks that arrive while it reads are
 * held and merged by seq afterwards. A live chunk beyond {@code next} means something was missed
 * and is read from the log first. A silent open stream is checked against the log every {@code
 * idleCheckMillis} (every {@code pollMillis} while Redis is down), which covers a lost last
 * publish.
 *
 * <p>Every method runs on the connection's {@link SerialExecutor}; the feed, the timer and send
 * completions only enqueue tasks. See {@link DeliveryState} for the states.
 */
public final class StreamConnection implements LiveListener {
  private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);

  private final Delivery node;
  private final String id;
  private final String streamId;
  private final FrameSink sink;
  private final SerialExecutor serial;
  private final OutboundQueue queue;
  private final TreeMap<Long, Frame> held = new TreeMap<>();
  private final int maxHeld;

  private volatile DeliveryState state = DeliveryState.OPENING;
  private long next;
  private boolean sending;
  private boolean feedUp;
  private boolean heldOverflowed;
  private long completedLastSeq = LiveEvent.NOT_COMPLETED;
  private boolean completeQueued;
  private long lastProgressNanos;
  private ScheduledFuture<?> ticker;

  StreamConnection(Delivery node, String id, String streamId, long after, FrameSink sink) {
    this.node = node;
    this.id = id;
    this.streamId = streamId;
    this.next = after + 1;
    this.sink = sink;
    this.serial = new SerialExecutor(node.pool(), "connection " + id);
    this.queue =
        new OutboundQueue(node.settings().maxQueuedFrames(), node.settings().maxQueuedBytes());
    this.maxHeld = node.settings().maxQueuedFrames();
  }

  public String id() {
    return id;
  }

  public String streamId() {
    return streamId;
  }

  public DeliveryState state() {
    return state;
  }

  /** Registers, subscribes, and from then on delivers. */
  void start() {
    onSerial(
        () -> {
          if (state != DeliveryState.OPENING) {
            return;
          }
          node.registry().register(this);
          move(DeliveryState.SUBSCRIBING);
          lastProgressNanos = node.nanoTime();
          long tick = node.settings().pollMillis();
          ticker =
              node.scheduler()
                  .scheduleWithFixedDelay(
                      () -> onSerial(this::tick), tick, tick, TimeUnit.MILLISECONDS);
          node.feed()
              .subscribe(streamId, this)
              .whenComplete(
                  (confirmed, failure) -> onSerial(() -> subscribed(failure == null && confirmed)));
        });
  }

  /**
   * The node is shutting down: close with 1001 (going away) so the client reconnects elsewhere at
   * once; it resumes from the last seq it received, so whatever was still queued is not lost.
   */
  void goAway() {
    onSerial(
        () -> {
          if (state != DeliveryState.CLOSED) {
            sink.close(1001, "node shutting down");
            release();
          }
        });
  }

  /** The client went away or the endpoint closed: stop everything, without sending. */
  public void closed() {
    onSerial(this::release);
  }

  @Override
  public void onLive(LiveEvent event) {
    onSerial(() -> live(event));
  }

  @Override
  public void onFeedDown() {
    onSerial(() -> feedUp = false);
  }

  @Override
  public void onFeedUp() {
    onSerial(
        () -> {
          feedUp = true;
          if (state == DeliveryState.LIVE) {
            // Whatever was published while Redis was away never reached us: read it.
            backfill();
          }
        });
  }

  private void subscribed(boolean confirmed) {
    if (state != DeliveryState.SUBSCRIBING) {
      return;
    }
    feedUp = confirmed;
    node.hooks().subscribedBeforeBackfill(streamId);
    if (state == DeliveryState.SUBSCRIBING) {
      backfill();
    }
  }

  /** Reads one page from {@code next} and queues it; continues, merges or lags as the page says. */
  private void backfill() {
    if (state == DeliveryState.CLOSED) {
      return;
    }
    if (state != DeliveryState.BACKFILLING) {
      move(DeliveryState.BACKFILLING);
    }
    ChunkPage page;
    try {
      page = node.reader().chunksAfter(streamId, next - 1, node.pageChunks());
    } catch (ChunkLogException.StreamNotFound notYet) {
      page = null;
    } catch (RuntimeException e) {
      LOG.warn(
          "connection {} stream={}: reading the log from seq {} failed, retrying: {}",
          id,
          streamId,
          next,
          e.toString());
      node.scheduler()
          .schedule(
              () -> onSerial(this::backfill), node.settings().pollMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    node.metrics().backfillReads.increment();
    node.hooks().backfilledBeforeMerge(streamId);
    if (state != DeliveryState.BACKFILLING) {
      return;
    }
    List<StoredChunk> chunks = page == null ? List.of() : page.chunks();
    for (StoredChunk chunk : chunks) {
      if (chunk.seq() != next) {
        throw new IllegalStateException(
            "stream " + streamId + ": log returned seq " + chunk.seq() + ", expected " + next);
      }
      if (!enqueue(Frame.chunk(chunk.seq(), WireFormat.chunkFrame(chunk)))) {
        return;
      }
    }
    lastProgressNanos = node.nanoTime();
    if (chunks.size() == node.pageChunks()) {
      onSerial(this::backfill);
      pump();
      return;
    }
    if (page != null && page.stream().status() == StreamStatus.COMPLETED) {
      completedLastSeq = Math.max(completedLastSeq, page.stream().headSeq());
    }
    mergeHeld();
    pump();
  }

  /**
   * After a read reached the log's head: queue held live chunks that continue from {@code next}.
   */
  private void mergeHeld() {
    held.headMap(next).clear();
    while (!held.isEmpty() && held.firstKey() == next) {
      if (!enqueue(held.pollFirstEntry().getValue())) {
        return;
      }
    }
    if (!held.isEmpty() || heldOverflowed) {
      // A gap between next and the first held chunk, or held chunks we had to let go: read again.
      heldOverflowed = false;
      onSerial(this::backfill);
      return;
    }
    if (completedLastSeq != LiveEvent.NOT_COMPLETED) {
      if (next > completedLastSeq) {
        queueComplete();
      } else {
        onSerial(this::backfill);
      }
      return;
    }
    move(DeliveryState.LIVE);
  }

  private void live(LiveEvent event) {
    if (state == DeliveryState.CLOSED || state == DeliveryState.OPENING) {
      return;
    }
    lastProgressNanos = node.nanoTime();
    if (event.completedLastSeq() != LiveEvent.NOT_COMPLETED) {
      completedLastSeq = Math.max(completedLastSeq, event.completedLastSeq());
    }
    switch (state) {
      case SUBSCRIBING, BACKFILLING -> hold(event.chunks());
      case LIVE -> {
        for (int i = 0; i < event.chunks().size(); i++) {
          Frame frame = event.chunks().get(i);
          if (frame.seq() < next) {
            node.metrics().duplicatesDropped.increment();
          } else if (frame.seq() == next) {
            if (!enqueue(frame)) {
              return;
            }
          } else {
            // A gap: hold what arrived, read what is missing, then merge.
            hold(event.chunks().subList(i, event.chunks().size()));
            backfill();
            return;
          }
        }
        if (completedLastSeq != LiveEvent.NOT_COMPLETED) {
          if (next > completedLastSeq) {
            queueComplete();
          } else {
            backfill();
            return;
          }
        }
        pump();
      }
      default -> {
        // LAGGING: live chunks are not held; the log has them when the client catches up.
      }
    }
  }

  private void hold(List<Frame> frames) {
    for (Frame frame : frames) {
      if (frame.seq() >= next) {
        held.put(frame.seq(), frame);
      }
    }
    if (held.size() > maxHeld) {
      held.clear();
      heldOverflowed = true;
    }
  }

  /** Queues the frame as {@code next}; on a full queue the connection starts lagging instead. */
  private boolean enqueue(Frame frame) {
    if (!queue.offer(frame)) {
      move(DeliveryState.LAGGING);
      held.clear();
      node.metrics().lagging.increment();
      pump();
      return false;
    }
    next = frame.seq() + 1;
    node.metrics().queueFrames.observe(queue.size());
    node.metrics().queueBytes.observe(queue.bytes());
    return true;
  }

  private void queueComplete() {
    if (!completeQueued) {
      completeQueued = true;
      queue.force(Frame.complete(next - 1, WireFormat.completeFrame(next - 1)));
    }
  }

  /** Starts sending the queue's head unless a send is already in flight. */
  private void pump() {
    if (sending || !state.isReady()) {
      return;
    }
    Frame frame = queue.peek();
    if (frame == null) {
      return;
    }
    sending = true;
    try {
      sink.send(frame, failure -> onSerial(() -> sent(frame, failure)));
    } catch (RuntimeException e) {
      sent(frame, e);
    }
  }

  private void sent(Frame frame, Throwable failure) {
    sending = false;
    if (state == DeliveryState.CLOSED) {
      return;
    }
    if (failure != null) {
      LOG.debug(
          "connection {} stream={}: send failed, closing: {}", id, streamId, failure.toString());
      release();
      return;
    }
    queue.removeHead();
    node.metrics().framesSent.increment();
    if (frame.last()) {
      sink.close(1000, "stream completed");
      release();
      return;
    }
    if (state == DeliveryState.LAGGING && queue.isBelowLowWater()) {
      backfill();
      return;
    }
    pump();
  }

  private void tick() {
    if (state != DeliveryState.LIVE) {
      return;
    }
    long quietMillis = TimeUnit.NANOSECONDS.toMillis(node.nanoTime() - lastProgressNanos);
    long limit = feedUp ? node.settings().idleCheckMillis() : node.settings().pollMillis();
    if (quietMillis >= limit) {
      node.metrics().idleChecks.increment();
      backfill();
    }
  }

  private void release() {
    if (state == DeliveryState.CLOSED) {
      return;
    }
    boolean registered = state != DeliveryState.OPENING;
    move(DeliveryState.CLOSED);
    if (ticker != null) {
      ticker.cancel(false);
    }
    queue.clear();
    held.clear();
    if (registered) {
      node.feed().unsubscribe(streamId, this);
      node.registry().unregister(this);
    }
  }

  /** Runs a task on this connection's executor; a failure closes the connection (1011). */
  private void onSerial(Runnable task) {
    serial.execute(
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            LOG.error("connection {} stream={} failed at seq {}; closing", id, streamId, next, e);
            if (state != DeliveryState.CLOSED) {
              sink.close(1011, "internal error");
              release();
            }
          }
        });
  }

  private void move(DeliveryState target) {
    DeliveryState from = state;
    state = from.moveTo(target);
    LOG.trace("connection {} stream={} {} -> {} next={}", id, streamId, from, target, next);
  }
}
