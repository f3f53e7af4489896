package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.client.Chunk;
import io.chunkrelay.client.ChunkRelayClient;
import io.chunkrelay.client.ChunkRelayException;
import io.chunkrelay.client.StreamChain;
import io.chunkrelay.client.Subscription;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stream's hash chain end to end: the database links every chunk as it stores it, GET
 * /api/streams/{id} and the complete frame carry the head's link, and what a client computes over
 * what it received equals it; a chunk altered behind the log's back (as a superuser, triggers set
 * aside) makes a subscriber fail with chain-mismatch instead of completing, and the verifier name
 * it.
 */
@ExtendWith(ArquillianExtension.class)
class HashChainIT {
  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void theChainAClientComputesEqualsTheLogsOnGetAndInTheCompleteFrame() throws Exception {
    String stream = "chain-" + UUID.randomUUID();
    Http http = new Http(base);
    StreamChain expected = StreamChain.genesis(stream);
    assertEquals(404, http.get("api/streams/" + stream).status());
    try (ChunkRelayClient client = ChunkRelayClient.create(base.toURI())) {
      String[] contents = {"héllo", " wörld ", "\"quoted\"", "", "🙂 end"};
      for (int i = 0; i < contents.length; i++) {
        boolean last = i == contents.length - 1;
        long seq = client.append(stream, "m" + (i / 2), contents[i], last).firstSeq();
        expected = expected.next(seq, "m" + (i / 2), last, contents[i]);
        Http.Response head = http.get("api/streams/" + stream);
        assertEquals(expected.hex(), head.json().get("chain").asText(), "GET at seq " + seq);
      }
      client.complete(stream);

      List<Chunk> received = Collections.synchronizedList(new ArrayList<>());
      Subscription subscription = client.subscribe(stream, 0, received::add);
      assertEquals(contents.length, subscription.completion().get(30, TimeUnit.SECONDS));
      assertEquals(expected.hex(), subscription.chain(), "the subscriber's chain");
      assertEquals(contents.length, received.size());
    }
  }

  @Test
  void aChunkAlteredBehindTheLogsBackFailsTheSubscriberWithChainMismatch() throws Exception {
    String stream = "chain-tampered-" + UUID.randomUUID();
    try (ChunkRelayClient client = ChunkRelayClient.create(base.toURI())) {
      for (int i = 1; i <= 3; i++) {
        client.append(stream, "m", "word" + i + " ", i == 3);
      }
      client.complete(stream);
      ChunkTable.execute(
          "alter table chunks disable trigger chunks_append_only;"
              + " update chunks set content = 'forged ' where stream_id = '"
              + stream
              + "' and seq = 2;"
              + " alter table chunks enable trigger chunks_append_only");

      Subscription subscription = client.subscribe(stream, 0, chunk -> {});
      ExecutionException failed =
          assertThrows(
              ExecutionException.class, () -> subscription.completion().get(30, TimeUnit.SECONDS));
      ChunkRelayException cause = (ChunkRelayException) failed.getCause();
      assertEquals("chain-mismatch", cause.code());
      assertTrue(cause.getMessage().contains("seq 3"), cause.getMessage());
      assertEquals(Subscription.State.FAILED, subscription.state());
    }
    // The DBA's verifier names the stream and the altered seq.
    try (java.sql.Connection connection = TestServices.database().connect();
        java.sql.PreparedStatement verify =
            connection.prepareStatement("select seq, problem from verify_log(?)")) {
      verify.setString(1, stream);
      try (java.sql.ResultSet problems = verify.executeQuery()) {
        assertTrue(problems.next(), "the verifier finds the altered row");
        assertEquals(2, problems.getLong(1));
        assertEquals("hash-mismatch", problems.getString(2));
        assertTrue(!problems.next(), "and nothing else");
      }
    }
  }
}
