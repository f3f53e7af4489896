package io.chunkrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.WireFormat;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Test-only: the seed design's ordering, with connections of its own as the seed had: read the
 * stream's chunks and THEN subscribe to the stream's Redis channel, with a pause between the two
 * ({@link PausingHooks#NAIVE_READ}). Exists only so the chunk-7 test can show that it sees the bug:
 * a chunk committed during the pause is lost for this client.
 */
@ServerEndpoint("/test/naive/{streamId}")
public class NaiveEndpoint {
  private final JedisPubSub subscription =
      new JedisPubSub() {
        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
          PausingHooks.resumed(PausingHooks.NAIVE_READ, streamId);
        }

        @Override
        public void onMessage(String channel, String message) {
          // Nodes seal every message ("s1.<mac>.<body>"); the seed trusted whatever came.
          String body = message.substring(message.indexOf('.', "s1.".length()) + 1);
          for (StoredChunk chunk : FanoutMessage.parse(body).chunks()) {
            send(WireFormat.chunkFrame(chunk));
          }
        }
      };
  private volatile Session session;
  private volatile String streamId;

  @OnOpen
  public void open(Session session, @PathParam("streamId") String streamId) {
    this.session = session;
    this.streamId = streamId;
    new Thread(() -> readThenSubscribe(streamId), "naive-" + streamId).start();
  }

  @OnClose
  public void close() {
    if (subscription.isSubscribed()) {
      subscription.unsubscribe();
    }
  }

  private void readThenSubscribe(String streamId) {
    // The node under test was configured through these settings; the naive client uses the same.
    RelayConfig config = RelayConfig.load(SettingSource.standard());
    for (JsonNode chunk : read(streamId).path("chunks")) {
      send(
          WireFormat.chunkFrame(
              new StoredChunk(
                  chunk.path("seq").asLong(),
                  chunk.path("messageId").asText(),
                  chunk.path("content").asText(),
                  chunk.path("final").asBoolean(),
                  Instant.parse(chunk.path("createdAt").asText()))));
    }
    try (Jedis jedis = new Jedis(config.redis().url())) {
      jedis.ping(); // connected before the pause: after it, only the SUBSCRIBE remains
      PausingHooks.pauseAt(PausingHooks.NAIVE_READ, streamId, true);
      // Blocks until close() unsubscribes.
      jedis.subscribe(subscription, config.redis().channelPrefix() + "stream:" + streamId);
    }
  }

  /** The stream's chunks as its node's HTTP API lists them (the seed read its Redis list). */
  private JsonNode read(String streamId) {
    URI ws = session.getRequestURI();
    String path = ws.getPath().substring(0, ws.getPath().indexOf("/test/naive/"));
    URI list =
        URI.create(
            "http://"
                + ws.getHost()
                + ":"
                + ws.getPort()
                + path
                + "/api/streams/"
                + streamId
                + "/chunks?after=0&limit=1000");
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(HttpRequest.newBuilder(list).build(), HttpResponse.BodyHandlers.ofString());
      return WireFormat.parse(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("the naive client could not read " + list, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private synchronized void send(String frame) {
    try {
      session.getBasicRemote().sendText(frame);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
