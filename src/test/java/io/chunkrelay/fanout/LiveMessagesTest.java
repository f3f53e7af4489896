package io.chunkrelay.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkrelay.chunk.StoredChunk;
import io.chunkrelay.delivery.Frame;
import io.chunkrelay.delivery.LiveEvent;
import io.chunkrelay.delivery.LiveListener;
import io.chunkrelay.metrics.Metrics;
import io.chunkrelay.wire.FanoutMessage;
import io.chunkrelay.wire.FanoutSeal;
import io.chunkrelay.wire.WireFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node's reading of channel messages: a chunk's frame rendered once for all listeners, a message
 * of an unknown version sends listeners to the log, a stranger's message is dropped, and a message
 * whose seal does not open (every message is sealed) is dropped and sends listeners to the log.
 */
class LiveMessagesTest {
  private final Metrics metrics = new Metrics();
  private static final FanoutSeal SEAL = FanoutSeal.of("the-cluster-key-of-thirty-two-bytes!!");
  private final LiveMessages messages = new LiveMessages(SEAL, metrics);
  private final Recorder first = new Recorder();
  private final Recorder second = new Recorder();

  private static final class Recorder implements LiveListener {
    final List<LiveEvent> events = new ArrayList<>();
    int missed;

    @Override
    public void onLive(LiveEvent event) {
      events.add(event);
    }

    @Override
    public void onMissed() {
      missed++;
    }

    @Override
    public void onFeedDown() {}

    @Override
    public void onFeedUp() {}
  }

  @Test
  void everyListenerGetsTheSameFrameRenderedOnce() {
    StoredChunk chunk = new StoredChunk(3, "m", "hi", false, Instant.EPOCH);
    messages.deliver(
        "c", SEAL.seal("c", FanoutMessage.appended("s", List.of(chunk))), Set.of(first, second));
    Frame frame = first.events.get(0).chunks().get(0);
    assertEquals(WireFormat.chunkFrame(chunk), frame.text());
    // One rendering shared by both listeners, not one each.
    assertEquals(true, frame == second.events.get(0).chunks().get(0));
    assertEquals(1, metrics.value("chunk_relay_live_messages_total"));
  }

  @Test
  void aMessageOfAnUnknownVersionSendsEveryListenerToTheLog() {
    messages.deliver("c", SEAL.seal("c", "{\"v\":2,\"streamId\":\"s\"}"), Set.of(first, second));
    messages.deliver("c", SEAL.seal("c", "{\"streamId\":\"s\",\"chunks\":[]}"), Set.of(first));
    assertEquals(2, first.missed);
    assertEquals(1, second.missed);
    assertEquals(List.of(), first.events);
    assertEquals(2, metrics.value("chunk_relay_live_messages_unreadable_total"));
  }

  @Test
  void aSealedMessageThatIsNotOursIsCountedAndDropped() {
    messages.deliver("c", SEAL.seal("c", "not json"), Set.of(first));
    assertEquals(0, first.missed);
    assertEquals(List.of(), first.events);
    assertEquals(1, metrics.value("chunk_relay_live_messages_rejected_total"));
  }

  @Test
  void onASealedClusterOnlyMessagesSealedForTheirChannelAreBelieved() {
    FanoutSeal cluster = SEAL;
    FanoutSeal stranger = FanoutSeal.of("another-key-of-at-least-thirty-two-b");
    LiveMessages sealed = new LiveMessages(cluster, metrics);
    String real =
        FanoutMessage.appended("s", List.of(new StoredChunk(1, "m", "real", false, Instant.EPOCH)));
    String forgedBody =
        FanoutMessage.appended(
            "s", List.of(new StoredChunk(1, "m", "forged", false, Instant.EPOCH)));

    sealed.deliver("ch:s", cluster.seal("ch:s", real), Set.of(first));
    assertEquals("real", first.events.get(0).chunks().get(0).text().contains("real") ? "real" : "");

    for (String forgery :
        List.of(
            forgedBody,
            stranger.seal("ch:s", forgedBody),
            cluster.seal("ch:other", real),
            cluster.seal("ch:s", real).replace("real", "REAL"),
            "s1." + "A".repeat(43) + "." + forgedBody,
            "s1.")) {
      sealed.deliver("ch:s", forgery, Set.of(second));
    }
    assertEquals(List.of(), second.events, "no forged chunk reaches a connection");
    assertEquals(6, second.missed, "each forgery sends the stream's connections to the log");
    assertEquals(6, metrics.value("chunk_relay_live_messages_forged_total"));
  }
}
