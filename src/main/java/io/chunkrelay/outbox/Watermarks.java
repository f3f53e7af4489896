package io.chunkrelay.outbox;

import io.chunkrelay.store.Outbox;
import io.chunkrelay.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the watermark off the append path: publishes are noted in memory and written to {@code
 * streams.published_seq} on each flush, in one batch. Per stream it keeps one contiguous range; of
 * two disjoint ranges it keeps the earlier, the one the watermark can reach first (what it forgets,
 * the relay publishes again, which is harmless).
 */
public final class Watermarks {
  private static final Logger LOG = LoggerFactory.getLogger(Watermarks.class);

  private final Outbox outbox;
  private final Object lock = new Object();
  private Map<String, long[]> pending = new HashMap<>();

  public Watermarks(Outbox outbox) {
    this.outbox = outbox;
  }

  /** Notes that seqs {@code firstSeq..lastSeq} of the stream were published. */
  public void published(String streamId, long firstSeq, long lastSeq) {
    synchronized (lock) {
      long[] range = pending.get(streamId);
      if (range == null) {
        pending.put(streamId, new long[] {firstSeq, lastSeq});
      } else if (firstSeq <= range[1] + 1 && lastSeq >= range[0] - 1) {
        range[0] = Math.min(range[0], firstSeq);
        range[1] = Math.max(range[1], lastSeq);
      } else if (firstSeq < range[0]) {
        pending.put(streamId, new long[] {firstSeq, lastSeq});
      }
    }
  }

  /** Writes the noted ranges; returns how many streams' watermarks moved. */
  public int flush() {
    Map<String, long[]> ranges;
    synchronized (lock) {
      if (pending.isEmpty()) {
        return 0;
      }
      ranges = pending;
      pending = new HashMap<>();
    }
    List<Outbox.Published> published = new ArrayList<>(ranges.size());
    ranges.forEach(
        (stream, range) -> published.add(new Outbox.Published(stream, range[0], range[1])));
    try {
      return outbox.advance(published);
    } catch (StoreException e) {
      // Not advancing the watermark only means the relay publishes these ranges once more.
      LOG.warn("could not advance published_seq of {} streams: {}", ranges.size(), e.toString());
      return 0;
    }
  }
}
