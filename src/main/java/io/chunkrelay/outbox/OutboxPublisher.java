package io.chunkrelay.outbox;

import io.chunkrelay.fanout.Publisher;
import io.chunkrelay.store.CommitListener;
import io.chunkrelay.store.StoredChunk;
import java.util.List;

/**
 * Keeps promise 7's fast path. After commit: publish at once (the fast path) and note the published
 * range for the watermark.
 */
public final class OutboxPublisher implements CommitListener {
  private final Publisher publisher;
  private final Watermarks watermarks;

  public OutboxPublisher(Publisher publisher, Watermarks watermarks) {
    this.publisher = publisher;
    this.watermarks = watermarks;
  }

  @Override
  public void appended(String streamId, List<StoredChunk> chunks) {
    if (publisher.appended(streamId, chunks)) {
      watermarks.published(streamId, chunks.get(0).seq(), chunks.get(chunks.size() - 1).seq());
    }
  }

  @Override
  public void completed(String streamId, long lastSeq) {
    publisher.completed(streamId, lastSeq);
  }
}
