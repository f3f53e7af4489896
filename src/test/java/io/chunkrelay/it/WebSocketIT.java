package io.chunkrelay.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.BurstEndpoint;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.testing.Await;
import io.chunkrelay.testing.Json;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.Jedis;

/**
 * Server-to-client WebSocket messages through Tyrus on Tomcat, with Chunk Relay's
 * TyrusServletWriter: the stream endpoint's frames, and the writer under concurrent senders,
 * chained sends and a client that stops reading. With Tyrus 2.2.0's own writer every one of these
 * sends fails on Tomcat.
 */
@ExtendWith(ArquillianExtension.class)
class WebSocketIT {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war(BurstEndpoint.class);
  }

  @Test
  void aSubscriberGetsEveryChunkAfterItsPositionInOrderThenTheCompleteFrame() throws Exception {
    Http http = new Http(base);
    String stream = "ws-" + UUID.randomUUID();
    String path = "api/streams/" + stream + "/chunks";
    for (int i = 1; i <= 5; i++) {
      http.postJson(path, Http.chunk("m1", "w" + i));
    }
    try (WsClient client = WsClient.connect(uri("ws/streams/" + stream + "?after=2"))) {
      for (int seq = 3; seq <= 5; seq++) {
        assertChunk(client.next(WAIT), seq, "w" + seq);
      }
      http.postJson(path, "[" + Http.chunk("m1", "w6") + "," + Http.chunk("m1", "w7") + "]");
      http.postJson(path, "{\"messageId\":\"m1\",\"content\":\"w8\",\"final\":true}");
      for (int seq = 6; seq <= 8; seq++) {
        assertChunk(client.next(WAIT), seq, "w" + seq);
      }
      http.postJson("api/streams/" + stream + "/complete", "");
      JsonNode complete = JSON.readTree(client.next(WAIT));
      assertEquals("complete", complete.get("type").asText());
      assertEquals(8, complete.get("lastSeq").asLong());
      assertEquals(1000, client.closeCode(WAIT));
    }
  }

  @Test
  void aSubscriberMayArriveBeforeTheStreamExists() throws Exception {
    String stream = "ws-early-" + UUID.randomUUID();
    try (WsClient client = WsClient.connect(uri("ws/streams/" + stream))) {
      new Http(base).postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "first"));
      assertChunk(client.next(WAIT), 1, "first");
    }
  }

  @Test
  void aNodeSubscribesEachStreamOnceWhateverItsConnectionsAndLetsGoAfterTheLast() throws Exception {
    String stream = "ws-refcount-" + UUID.randomUUID();
    String channel = TestServices.channelPrefix() + "stream:" + stream;
    Http http = new Http(base);
    long openBefore = http.metric("chunk_relay_ws_connections");
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "one"));
    try (Jedis redis = new Jedis(URI.create(TestServices.redisUrl()))) {
      WsClient first = WsClient.connect(uri("ws/streams/" + stream));
      WsClient second = WsClient.connect(uri("ws/streams/" + stream));
      WsClient third = WsClient.connect(uri("ws/streams/" + stream));
      for (WsClient client : List.of(first, second, third)) {
        assertChunk(client.next(WAIT), 1, "one");
      }
      assertEquals(1L, subscribers(redis, channel), "one SUBSCRIBE for three connections");
      first.close();
      second.close();
      // Once the node let go of two connections, the stream is still subscribed for the third.
      await("the node to release two connections")
          .atMost(WAIT)
          .until(() -> http.metric("chunk_relay_ws_connections") == openBefore + 1);
      assertEquals(1L, subscribers(redis, channel), "still one connection left");
      third.close();
      await("the UNSUBSCRIBE after the last connection")
          .atMost(WAIT)
          .until(() -> subscribers(redis, channel) == 0);
    }
  }

  private static long subscribers(Jedis redis, String channel) {
    return redis.pubsubNumSub(channel).getOrDefault(channel, 0L);
  }

  @Test
  void badResumePositionsGetAnErrorFrameWithAStableCode() throws Exception {
    Http http = new Http(base);
    String stream = "ws-bad-" + UUID.randomUUID();
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "only"));
    assertRefused("ws/streams/" + stream + "?after=-1", "invalid-parameter");
    assertRefused("ws/streams/" + stream + "?after=abc", "invalid-parameter");
    assertRefused("ws/streams/" + stream + "?after=2", "after-beyond-head");
    assertRefused("ws/streams/bad$id?after=0", "invalid-stream-id");
  }

  @Test
  void sendsFromSeveralThreadsArriveWholeAndInEachSendersOrder() {
    try (WsClient client = WsClient.connect(uri("test/burst"))) {
      client.send("async 4 2500 200");
      assertBurst(client.next(4 * 2500 + 1, WAIT), 4, 2500);
      client.send("basic 4 1000 50");
      assertBurst(client.next(4 * 1000 + 1, WAIT), 4, 1000);
    }
  }

  @Test
  void sendsChainedFromCompletionHandlersDoNotPileUpOnTheStack() {
    try (WsClient client = WsClient.connect(uri("test/burst"))) {
      client.send("chain 20000 20");
      assertBurst(client.next(20000 + 1, WAIT), 1, 20000);
    }
  }

  @Test
  void aClientThatStopsReadingHoldsBackOnlyItsOwnSends() {
    int threads = 4;
    int perThread = 4000;
    long stallMillis = 2500;
    try (WsClient slow = WsClient.connect(uri("test/burst"));
        WsClient other = WsClient.connect(uri("test/burst"))) {
      slow.stall();
      slow.send("async " + threads + " " + perThread + " 1000");
      Await.sleep(stallMillis / 2);

      // The node keeps serving everyone else while one client's 16 MB back up.
      other.send("async 1 100 100");
      assertBurst(other.next(101, Duration.ofSeconds(10)), 1, 100);
      Await.sleep(stallMillis / 2);

      slow.resume();
      List<String> received = slow.next(threads * perThread + 1, Duration.ofSeconds(60));
      String[] done = assertBurst(received, threads, perThread);
      long dispatchMillis = Long.parseLong(done[1]);
      long completeMillis = Long.parseLong(done[2]);
      assertTrue(
          dispatchMillis < stallMillis / 2,
          "async sends must not block on a stalled client, took " + dispatchMillis + " ms");
      assertTrue(
          completeMillis >= stallMillis - 500,
          "sends completed after "
              + completeMillis
              + " ms although the client read nothing for "
              + stallMillis
              + " ms: completion must wait for the client");
    }
  }

  /**
   * Checks {@code thread:index:padding} messages followed by {@code done ...}: every index of every
   * thread exactly once and in order. Returns the words of the done line.
   */
  private static String[] assertBurst(List<String> messages, int threads, int perThread) {
    int[] nextIndex = new int[threads];
    for (String message : messages.subList(0, messages.size() - 1)) {
      String[] parts = message.split(":", 3);
      int thread = Integer.parseInt(parts[0]);
      int index = Integer.parseInt(parts[1]);
      assertEquals(nextIndex[thread], index, "sender " + thread + " out of order");
      nextIndex[thread]++;
    }
    for (int t = 0; t < threads; t++) {
      assertEquals(perThread, nextIndex[t], "messages of sender " + t);
    }
    String last = messages.get(messages.size() - 1);
    assertTrue(last.startsWith("done "), last);
    return last.split(" ");
  }

  private void assertRefused(String path, String code) throws Exception {
    try (WsClient client = WsClient.connect(uri(path))) {
      JsonNode error = JSON.readTree(client.next(WAIT));
      assertEquals("error", error.get("type").asText(), error.toString());
      assertEquals(code, error.get("code").asText(), error.toString());
      assertTrue(!error.get("message").asText().contains("Exception"), error.toString());
      assertEquals(1008, client.closeCode(WAIT));
    }
  }

  private static void assertChunk(String frame, long seq, String content) throws Exception {
    JsonNode chunk = JSON.readTree(frame);
    assertEquals("chunk", chunk.get("type").asText(), frame);
    assertEquals(seq, chunk.get("seq").asLong(), frame);
    assertEquals(content, chunk.get("content").asText(), frame);
    assertTrue(chunk.has("messageId") && chunk.has("final"), frame);
  }

  private URI uri(String path) {
    return URI.create(base.toString()).resolve(path);
  }
}
