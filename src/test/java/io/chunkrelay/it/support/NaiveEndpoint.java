package io.chunkrelay.it.support;

import io.chunkrelay.api.WireFormat;
import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.store.StoredChunk;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;

/**
 * Test-only: the seed design's ordering, read the log and THEN subscribe, with a pause between the
 * two ({@link PausingHooks#NAIVE_READ}). Exists only so the chunk-7 test can show that it sees the
 * bug: a chunk committed during the pause is lost for this client.
 */
@ServerEndpoint("/test/naive/{streamId}")
public class NaiveEndpoint {
  private LiveListener listener;
  private String streamId;

  @OnOpen
  public void open(Session session, @PathParam("streamId") String streamId) {
    this.streamId = streamId;
    new Thread(() -> readThenSubscribe(session), "naive-" + streamId).start();
  }

  @OnClose
  public void close() {
    if (listener != null) {
      HooksServlet.node.feed().unsubscribe(streamId, listener);
    }
  }

  private void readThenSubscribe(Session session) {
    try {
      for (StoredChunk chunk : HooksServlet.node.log().chunksAfter(streamId, 0, 1000).chunks()) {
        session.getBasicRemote().sendText(WireFormat.chunkFrame(chunk));
      }
      PausingHooks.pauseAt(PausingHooks.NAIVE_READ, streamId);
      listener =
          new LiveListener() {
            @Override
            public void onLive(LiveEvent event) {
              event.chunks().forEach(frame -> session.getAsyncRemote().sendText(frame.text()));
            }

            @Override
            public void onFeedDown() {}

            @Override
            public void onFeedUp() {}
          };
      HooksServlet.node.feed().subscribe(streamId, listener).join();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
