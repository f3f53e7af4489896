package io.chunkrelay.outbox;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.store.CommitListener;
import java.util.List;
import java.util.Map;

/**
 * Keeps the fast path of promise 7 (Redis accelerates, PostgreSQL decides).
 *
 * <p>After commit: publish a group's chunks at once, in one Redis pipeline, and note the published
 * ranges for the watermark.
 */
public final class OutboxPublisher implements CommitListener {
  private final Publisher publisher;
  private final Watermarks watermarks;

  public OutboxPublisher(Publisher publisher, Watermarks watermarks) {
    this.publisher = publisher;
    this.watermarks = watermarks;
  }

  @Override
  public void appended(Map<String, List<StoredChunk>> chunksByStream) {
    if (publisher.appended(chunksByStream)) {
      chunksByStream.forEach(
          (streamId, chunks) ->
              watermarks.published(
                  streamId, chunks.get(0).seq(), chunks.get(chunks.size() - 1).seq()));
    }
  }

  @Override
  public void completed(String streamId, long lastSeq) {
    publisher.completed(streamId, lastSeq);
  }
}
