package io.chunkrelay.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.chunk.StoredChunk;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node-to-node message: chunk fields with a version, never a client frame. */
class FanoutMessageTest {
  private static final StoredChunk CHUNK =
      new StoredChunk(7, "m1", "h\u00e9llo \"world\"", true, Instant.parse("2026-11-25T10:00:00Z"));

  @Test
  void anAppendedMessageCarriesChunkFieldsAndReadsBackAsTheSameChunks() {
    String text = FanoutMessage.appended("s1", List.of(CHUNK));
    FanoutMessage message = FanoutMessage.parse(text);
    assertEquals(new FanoutMessage("s1", List.of(CHUNK), FanoutMessage.NOT_COMPLETED), message);
    assertTrue(text.contains("\"v\":1"), text);
    assertTrue(!text.contains("\"type\""), "no client frame travels between nodes: " + text);
  }

  @Test
  void aCompletedMessageCarriesTheLastSeq() {
    FanoutMessage message = FanoutMessage.parse(FanoutMessage.completed("s1", 12));
    assertEquals(12, message.completedLastSeq());
    assertEquals(List.of(), message.chunks());
  }

  @Test
  void aMessageOfAnotherVersionIsRecognisedAsSuch() {
    FanoutMessage.UnknownVersion newer =
        assertThrows(
            FanoutMessage.UnknownVersion.class,
            () -> FanoutMessage.parse("{\"v\":2,\"streamId\":\"s1\",\"records\":[]}"));
    assertEquals(2, newer.version());
    // What nodes before versioning wrote: ready-made client frames, no "v".
    FanoutMessage.UnknownVersion older =
        assertThrows(
            FanoutMessage.UnknownVersion.class,
            () ->
                FanoutMessage.parse(
                    "{\"streamId\":\"s1\",\"chunks\":[{\"type\":\"chunk\",\"seq\":1}]}"));
    assertEquals(0, older.version());
  }

  @Test
  void somethingThatIsNotOursIsRefused() {
    for (String text :
        List.of(
            "hello", "[1]", "{\"v\":1}", "{\"v\":1,\"streamId\":\"s\",\"chunks\":[{\"seq\":0}]}")) {
      IllegalArgumentException refused =
          assertThrows(IllegalArgumentException.class, () -> FanoutMessage.parse(text), text);
      assertTrue(!(refused instanceof FanoutMessage.UnknownVersion), text);
    }
  }
}
