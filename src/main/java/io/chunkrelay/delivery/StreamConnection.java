package io.chunkrelay.delivery;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.StreamStatus;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.wire.WireFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps promise 4 (subscribe first, then backfill) for one WebSocket connection of one stream, as
 * the thin shell around its {@link SeqMerger}: it registers, subscribes and reads the log only once
 * the feed confirmed the subscription, performs the reads and sends the merger asks for, and runs
 * tells the node's {@link IdleWatch} how far it got, so that a lost last publish is found by one
 * check per stream (after {@code idleCheckMillis} of silence, {@code pollMillis} while the feed is
 * down).
 *
 * <p>Every method runs on the connection's {@link SerialExecutor}; the feed, the timer and send
 * completions only enqueue tasks, so the merger is only ever touched by one thread at a time.
 */
public final class StreamConnection implements LiveListener {
  private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);

  private final DeliveryContext node;
  private final String id;
  private final String streamId;
  private final SerialExecutor serial;
  private final SeqMerger merger;
  private final Sender sender;

  /** The merger's state, readable from any thread (registry, metrics). */
  private volatile DeliveryState state = DeliveryState.OPENING;

  private volatile boolean goingAway;
  private volatile boolean feedUp;
  private boolean readQueued;

  /** For the idle check, from any thread: when the connection last heard or read something. */
  private volatile long lastProgressNanos;

  /** For the idle check, from any thread: the seq up to which the connection has its chunks. */
  private volatile long deliveredUpTo;

  StreamConnection(DeliveryContext node, String id, String streamId, long after, FrameSink sink) {
    this.node = node;
    this.id = id;
    this.streamId = streamId;
    this.serial = new SerialExecutor(node.pool(), "connection " + id, sink::batch);
    this.merger =
        new SeqMerger(
            after,
            node.settings().maxQueuedFrames(),
            node.settings().maxQueuedBytes(),
            node.metrics());
    this.sender = new Sender(this, sink, node.registry());
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

  long lastProgressNanos() {
    return lastProgressNanos;
  }

  long deliveredUpTo() {
    return deliveredUpTo;
  }

  /** Whether the connection's subscription is confirmed and the feed is up. */
  boolean hearsFeed() {
    return feedUp;
  }

  /** Registers, subscribes, and from then on delivers. */
  void start() {
    onSerial(
        () -> {
          if (merger.state() != DeliveryState.OPENING) {
            return;
          }
          node.registry().register(this);
          merger.subscribing();
          state = merger.state();
          lastProgressNanos = node.nanoTime().getAsLong();
          node.feed()
              .subscribe(streamId, this)
              .whenComplete(
                  (confirmed, failure) -> onSerial(() -> subscribed(failure == null && confirmed)));
        });
  }

  /**
   * The node is shutting down: close with 1001 (going away) so the client reconnects elsewhere at
   * once; it resumes from the last seq it received, so whatever was still queued is not lost. The
   * close is sent from the stopping thread (the session is safe to close from any thread): behind a
   * busy connection's queue of tasks it could come after the node stopped waiting, and the client
   * would see the connection drop (1006) instead.
   */
  void goAway() {
    goingAway = true;
    if (state == DeliveryState.OPENING) {
      // Not registered yet (or opened while the node stops): nobody waits for it, but its client
      // hears why it must go elsewhere rather than a dropped connection.
      sender.close(1001, "node shutting down");
      onSerial(this::release);
      return;
    }
    if (state != DeliveryState.CLOSED) {
      // It stays registered until the endpoint hears the close ({@link #closed}; Tyrus reports it
      // once the close frame is queued to go out ahead of the socket's close): the stopping node
      // waits for that.
      sender.close(1001, "node shutting down");
    }
  }

  /** The client went away or the endpoint closed: stop everything, without sending. */
  public void closed() {
    onSerial(this::release);
  }

  @Override
  public void onLive(LiveEvent event) {
    onSerial(
        () -> {
          lastProgressNanos = node.nanoTime().getAsLong();
          merger.live(event);
        });
  }

  @Override
  public void onMissed() {
    onSerial(merger::mayHaveMissed);
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
          // Whatever was published while Redis was away never reached us: read it.
          merger.mayHaveMissed();
        });
  }

  private void subscribed(boolean confirmed) {
    if (merger.state() != DeliveryState.SUBSCRIBING) {
      return;
    }
    feedUp = confirmed;
    node.hooks().subscribedBeforeBackfill(streamId);
    merger.subscribed();
  }

  /** Reads one page from the merger's next seq and hands it over; retries a failed read. */
  private void read() {
    readQueued = false;
    if (!merger.readWanted()) {
      return;
    }
    long after = merger.next() - 1;
    // What this turn already sent must not wait for the read.
    sender.flush();
    ChunkPage page;
    try {
      page = node.reader().chunksAfter(streamId, after, node.pageChunks());
    } catch (ChunkLogException.StreamNotFound notYet) {
      page = null;
    } catch (ChunkLogException.StreamExpired expired) {
      // Retention dropped the rest of the stream: a definite end, never a silent hole (promise 10).
      LOG.info(
          "connection {} stream={}: the stream expired after seq {}; closing with {}",
          id,
          streamId,
          after,
          WireFormat.CLOSE_STREAM_EXPIRED);
      sender.close(
          WireFormat.CLOSE_STREAM_EXPIRED, WireFormat.expiredCloseReason(expired.earliestSeq()));
      release();
      return;
    } catch (RuntimeException e) {
      LOG.warn(
          "connection {} stream={}: reading the log after seq {} failed, retrying: {}",
          id,
          streamId,
          after,
          e.toString());
      readQueued = true;
      node.timer()
          .schedule(
              () -> onSerial(this::read), node.settings().pollMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    node.metrics().backfillReads.increment();
    node.hooks().backfilledBeforeMerge(streamId);
    List<Frame> frames = page == null ? List.of() : page.chunks().stream().map(Frame::of).toList();
    boolean completed = page != null && page.stream().status() == StreamStatus.COMPLETED;
    merger.page(
        frames,
        frames.size() == node.pageChunks(),
        completed ? page.stream().headSeq() : LiveEvent.NOT_COMPLETED,
        completed ? page.stream().headChain() : null,
        page == null ? 0 : page.stream().headSeq());
    lastProgressNanos = node.nanoTime().getAsLong();
  }

  private void sent(Throwable failure) {
    sender.completed();
    if (merger.state() == DeliveryState.CLOSED) {
      return;
    }
    if (failure != null) {
      LOG.debug(
          "connection {} stream={}: send failed, closing: {}", id, streamId, failure.toString());
      // The socket may still be open (the WebSocket implementation refused the send, say while
      // it stops): close it, so the client reconnects instead of waiting on a silent connection.
      if (goingAway) {
        sender.close(1001, "node shutting down");
      } else {
        sender.close(1011, "send failed");
      }
      release();
      return;
    }
    merger.sent();
    node.metrics().framesSent.increment();
    if (merger.finished()) {
      sender.close(1000, "stream completed");
      release();
    }
  }

  /** After every event: start the read or the send the merger now wants. */
  private void drive() {
    DeliveryState before = state;
    state = merger.state();
    deliveredUpTo = merger.next() - 1;
    if (state != before) {
      LOG.trace(
          "connection {} stream={} {} -> {} next={}", id, streamId, before, state, merger.next());
    }
    if (state == DeliveryState.CLOSED || goingAway) {
      return;
    }
    if (merger.readWanted() && !readQueued) {
      readQueued = true;
      onSerial(this::read);
    }
    // Everything queued behind the frames in flight goes out now, up to the sender's window.
    for (Frame frame = merger.head(sender.inFlight());
        frame != null && sender.send(frame, failure -> onSerial(() -> sent(failure)));
        frame = merger.head(sender.inFlight())) {
      // sent: the loop asks for the frame behind it
    }
  }

  private void release() {
    DeliveryState before = merger.state();
    if (before == DeliveryState.CLOSED) {
      return;
    }
    merger.close();
    state = DeliveryState.CLOSED;
    if (before != DeliveryState.OPENING) {
      node.feed().unsubscribe(streamId, this);
      node.registry().unregister(this);
    }
  }

  /** Runs a task on this connection's executor, then drives; a failure closes with 1011. */
  private void onSerial(Runnable task) {
    serial.execute(
        () -> {
          try {
            task.run();
            drive();
          } catch (RuntimeException e) {
            LOG.error(
                "connection {} stream={} failed at seq {}; closing",
                id,
                streamId,
                merger.next(),
                e);
            if (merger.state() != DeliveryState.CLOSED) {
              sender.close(1011, "internal error");
              release();
            }
          }
        });
  }
}
