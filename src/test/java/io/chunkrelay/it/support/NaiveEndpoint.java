package io.chunkrelay.it.support;

import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.store.StoredChunk;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.WireFormat;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnOpen;
import jakarta.websocket.Session;
import jakarta.websocket.server.PathParam;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.postgresql.ds.PGSimpleDataSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Test-only: the seed design's ordering, with connections of its own as the seed had: read the
 * chunks table and THEN subscribe to the stream's Redis channel, with a pause between the two
 * ({@link PausingHooks#NAIVE_READ}). Exists only so the chunk-7 test can show that it sees the bug:
 * a chunk committed during the pause is lost for this client.
 */
@ServerEndpoint("/test/naive/{streamId}")
public class NaiveEndpoint {
  private final JedisPubSub subscription =
      new JedisPubSub() {
        @Override
        public void onMessage(String channel, String message) {
          for (StoredChunk chunk : FanoutMessage.parse(message).chunks()) {
            send(WireFormat.chunkFrame(chunk));
          }
        }
      };
  private volatile Session session;

  @OnOpen
  public void open(Session session, @PathParam("streamId") String streamId) {
    this.session = session;
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
    for (StoredChunk chunk : read(config, streamId)) {
      send(WireFormat.chunkFrame(chunk));
    }
    PausingHooks.pauseAt(PausingHooks.NAIVE_READ, streamId);
    try (Jedis jedis = new Jedis(config.redis().url())) {
      // Blocks until close() unsubscribes.
      jedis.subscribe(subscription, config.redis().channelPrefix() + "stream:" + streamId);
    }
  }

  private static java.util.List<StoredChunk> read(RelayConfig config, String streamId) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(config.database().jdbcUrl().orElseThrow());
    config.database().user().ifPresent(dataSource::setUser);
    config.database().password().ifPresent(dataSource::setPassword);
    java.util.List<StoredChunk> chunks = new java.util.ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select =
            connection.prepareStatement(
                "select seq, message_id, content, final, created_at from chunks"
                    + " where stream_id = ? order by seq")) {
      select.setString(1, streamId);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          chunks.add(
              new StoredChunk(
                  rows.getLong(1),
                  rows.getString(2),
                  rows.getString(3),
                  rows.getBoolean(4),
                  rows.getTimestamp(5).toInstant()));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("the naive client could not read stream " + streamId, e);
    }
    return chunks;
  }

  private synchronized void send(String frame) {
    try {
      session.getBasicRemote().sendText(frame);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
