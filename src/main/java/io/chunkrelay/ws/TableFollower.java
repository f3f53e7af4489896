package io.chunkrelay.ws;

import io.chunkrelay.api.WireFormat;
import io.chunkrelay.store.ChunkLogException;
import io.chunkrelay.store.ChunkPage;
import io.chunkrelay.store.StoredChunk;
import io.chunkrelay.store.StreamStatus;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a stream to one connection by reading the chunk log: a page of chunks after {@code next
 * - 1}, sent one at a time (each send starts when the previous one completed, so a slow client
 * holds back only its own reads), then the next page, and a poll every {@code pollMillis} when
 * there is nothing new. Since every read starts exactly at {@code next}, the client gets each chunk
 * once and in order; when the stream is completed and fully sent, it gets the {@code complete}
 * frame.
 */
final class TableFollower {
  private static final Logger LOG = LoggerFactory.getLogger(TableFollower.class);

  private final Session session;
  private final String streamId;
  private final StreamEndpoint.Delivery delivery;
  private volatile long next;
  private volatile boolean stopped;

  TableFollower(Session session, String streamId, long next, StreamEndpoint.Delivery delivery) {
    this.session = session;
    this.streamId = streamId;
    this.next = next;
    this.delivery = delivery;
  }

  String streamId() {
    return streamId;
  }

  void start() {
    delivery.scheduler().execute(this::readAndSend);
  }

  void stop() {
    stopped = true;
  }

  private void readAndSend() {
    if (stopped) {
      return;
    }
    ChunkPage page;
    try {
      page = delivery.log().chunksAfter(streamId, next - 1, delivery.pageChunks());
    } catch (ChunkLogException.StreamNotFound notYet) {
      pollLater();
      return;
    } catch (RuntimeException e) {
      LOG.warn("reading stream={} from seq {} failed; retrying: {}", streamId, next, e.toString());
      pollLater();
      return;
    }
    if (!page.chunks().isEmpty()) {
      send(page.chunks(), 0);
    } else if (page.stream().status() == StreamStatus.COMPLETED) {
      finish(page.stream().headSeq());
    } else {
      pollLater();
    }
  }

  private void send(List<StoredChunk> chunks, int index) {
    if (stopped) {
      return;
    }
    if (index == chunks.size()) {
      delivery.scheduler().execute(this::readAndSend);
      return;
    }
    StoredChunk chunk = chunks.get(index);
    session
        .getAsyncRemote()
        .sendText(
            WireFormat.chunkFrame(chunk),
            result -> {
              if (result.isOK()) {
                next = chunk.seq() + 1;
                // Continue from the scheduler, not inside the container's completion callback.
                delivery.scheduler().execute(() -> send(chunks, index + 1));
              } else {
                stop();
                LOG.debug(
                    "send to session={} stream={} seq={} failed: {}",
                    session.getId(),
                    streamId,
                    chunk.seq(),
                    result.getException().toString());
              }
            });
  }

  private void finish(long lastSeq) {
    session
        .getAsyncRemote()
        .sendText(
            WireFormat.completeFrame(lastSeq),
            result -> {
              stop();
              try {
                session.close(
                    new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "stream completed"));
              } catch (IOException e) {
                LOG.debug("closing session={} failed: {}", session.getId(), e.toString());
              }
            });
  }

  private void pollLater() {
    if (!stopped) {
      delivery
          .scheduler()
          .schedule(this::readAndSend, delivery.pollMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
