package io.chunkrelay.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.chunkrelay.client.StreamChain;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * The links the node computes as it stores chunks are the ones a client computes over what it
 * received (and, by HashChainIT, the ones the database's chain_link() recomputes): the same bytes
 * for any stream id, message ids, contents (any Unicode) and final flags.
 */
class StreamHeadsTest {
  @Property(tries = 200)
  void theNodesLinksAreTheClients(
      @ForAll @StringLength(min = 1, max = 40) String streamId,
      @ForAll @Size(max = 12) java.util.List<@StringLength(max = 30) String> contents,
      @ForAll boolean lastIsFinal) {
    StreamHeads.Head head = StreamHeads.empty(streamId);
    StreamChain client = StreamChain.genesis(streamId);
    assertEquals(client.hex(), HexFormat.of().formatHex(head.chain()));
    for (int i = 0; i < contents.size(); i++) {
      boolean isFinal = lastIsFinal && i == contents.size() - 1;
      String messageId = "m-" + (i / 3) + "-é";
      long seq = head.seq() + 1;
      head =
          new StreamHeads.Head(
              seq, StreamHeads.link(head.chain(), seq, messageId, isFinal, contents.get(i)));
      client = client.next(seq, messageId, isFinal, contents.get(i));
      assertEquals(client.hex(), HexFormat.of().formatHex(head.chain()), "at seq " + seq);
    }
  }

  @Test
  void onlyHeadsPutAreKnownAndAForgottenOneIsReadAgain() {
    StreamHeads heads = new StreamHeads();
    assertNull(heads.get("s"));
    StreamHeads.Head head = new StreamHeads.Head(3, new byte[32]);
    heads.put("s", head);
    assertArrayEquals(head.chain(), heads.get("s").chain());
    heads.forget("s");
    assertNull(heads.get("s"));
    assertEquals(false, heads.knows("s"));
  }
}
