package io.chunkrelay.delivery;

import io.chunkrelay.chunk.ChunkPage;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.chunk.StreamInfo;
import io.chunkrelay.chunk.StreamStatus;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.ChunkReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An in-memory chunk log for unit tests: same contract as the real one (gap-free, in order). */
final class FakeLog implements ChunkReader {
  private final Map<String, List<StoredChunk>> streams = new HashMap<>();
  private final Map<String, Boolean> completed = new HashMap<>();
  private final java.util.Set<String> expired = new java.util.HashSet<>();
  private volatile boolean failing;
  private volatile long readMillis;
  private int reads;
  private int headReads;

  synchronized StoredChunk append(String streamId, String content) {
    List<StoredChunk> chunks = streams.computeIfAbsent(streamId, s -> new ArrayList<>());
    StoredChunk chunk = new StoredChunk(chunks.size() + 1, "m", content, false, Instant.EPOCH);
    chunks.add(chunk);
    return chunk;
  }

  synchronized long complete(String streamId) {
    completed.put(streamId, true);
    return streams.getOrDefault(streamId, List.of()).size();
  }

  /** Drops the stream's chunks as retention does: every read of it answers StreamExpired. */
  synchronized void expire(String streamId) {
    expired.add(streamId);
  }

  /** Makes every chunk read take {@code millis} (a busy database), so reads overlap. */
  void slowReads(long millis) {
    this.readMillis = millis;
  }

  /** Makes every read fail until called with false (a database outage). */
  void failing(boolean failing) {
    this.failing = failing;
  }

  synchronized int reads() {
    return reads;
  }

  synchronized int headReads() {
    return headReads;
  }

  @Override
  public synchronized Optional<StreamInfo> stream(String streamId) {
    headReads++;
    if (failing) {
      throw new IllegalStateException("database unavailable (injected)");
    }
    refuseExpired(streamId);
    List<StoredChunk> chunks = streams.get(streamId);
    return chunks == null ? Optional.empty() : Optional.of(info(streamId, chunks));
  }

  private void refuseExpired(String streamId) {
    if (expired.contains(streamId)) {
      throw new ChunkLogException.StreamExpired(
          streamId, streams.getOrDefault(streamId, List.of()).size() + 1);
    }
  }

  /** The stream's hash chain over {@code chunks}, as the database computes it. */
  private static String chain(String streamId, List<StoredChunk> chunks) {
    io.chunkrelay.client.StreamChain chain = io.chunkrelay.client.StreamChain.genesis(streamId);
    for (StoredChunk chunk : chunks) {
      chain = chain.next(chunk.seq(), chunk.messageId(), chunk.isFinal(), chunk.content());
    }
    return chain.hex();
  }

  private StreamInfo info(String streamId, List<StoredChunk> chunks) {
    return new StreamInfo(
        streamId,
        chunks.size(),
        completed.getOrDefault(streamId, false) ? StreamStatus.COMPLETED : StreamStatus.OPEN,
        Instant.EPOCH,
        Instant.EPOCH,
        null,
        chain(streamId, chunks),
        java.time.LocalDate.EPOCH);
  }

  @Override
  public ChunkPage chunksAfter(String streamId, long after, int limit) {
    if (readMillis > 0) {
      io.chunkrelay.testing.Await.sleep(readMillis);
    }
    return read(streamId, after, limit);
  }

  private synchronized ChunkPage read(String streamId, long after, int limit) {
    reads++;
    if (failing) {
      throw new IllegalStateException("database unavailable (injected)");
    }
    refuseExpired(streamId);
    List<StoredChunk> chunks = streams.get(streamId);
    if (chunks == null) {
      throw new ChunkLogException.StreamNotFound(streamId);
    }
    List<StoredChunk> page = chunks.stream().filter(c -> c.seq() > after).limit(limit).toList();
    return new ChunkPage(info(streamId, chunks), page);
  }
}
