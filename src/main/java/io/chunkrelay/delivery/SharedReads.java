package io.chunkrelay.delivery;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.store.ChunkReader;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the log's load independent of how many connections of a node need the same chunks: a read
 * of a range that another connection is already reading waits for that read and gets its page,
 * instead of asking PostgreSQL again (connections of one stream that fell behind together, came
 * back together after a Redis outage, or were told by the idle check that they missed the same
 * chunk). Reads of different ranges go to the log as before.
 */
final class SharedReads implements ChunkReader {
  private record Range(String streamId, long after, int limit) {}

  private final ChunkReader log;
  private final DeliveryMetrics metrics;
  private final ConcurrentHashMap<Range, CompletableFuture<ChunkPage>> reading =
      new ConcurrentHashMap<>();

  SharedReads(ChunkReader log, DeliveryMetrics metrics) {
    this.log = log;
    this.metrics = metrics;
  }

  @Override
  public ChunkPage chunksAfter(String streamId, long after, int limit) {
    Range range = new Range(streamId, after, limit);
    CompletableFuture<ChunkPage> mine = new CompletableFuture<>();
    CompletableFuture<ChunkPage> theirs = reading.putIfAbsent(range, mine);
    if (theirs != null) {
      metrics.sharedReads.increment();
      try {
        return theirs.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
    }
    try {
      ChunkPage page = log.chunksAfter(streamId, after, limit);
      mine.complete(page);
      return page;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      reading.remove(range, mine);
    }
  }

  @Override
  public Optional<StreamInfo> stream(String streamId) {
    return log.stream(streamId);
  }
}
