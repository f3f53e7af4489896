package io.chunkrelay.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatedAssistantTest {
  @Test
  void theSamePromptAlwaysGetsTheSameReply() {
    assertEquals(
        SimulatedAssistant.replyTo("How does resuming work?"),
        SimulatedAssistant.replyTo("How does resuming work?"));
    assertNotEquals(SimulatedAssistant.replyTo("one"), SimulatedAssistant.replyTo("two"));
  }

  @Test
  void theChunksJoinedGiveTheReplyBackExactly() {
    for (String prompt : List.of("hi", "What  is\n a seq?", "ü ß 漢字 🙂", "x".repeat(2_000))) {
      String reply = SimulatedAssistant.replyTo(prompt);
      List<String> chunks = SimulatedAssistant.chunks(reply);
      assertEquals(reply, String.join("", chunks), prompt);
      assertTrue(chunks.size() > 100, "a reply long enough to interrupt: " + chunks.size());
      for (String chunk : chunks.subList(0, chunks.size() - 1)) {
        assertTrue(
            chunk.matches("\\S+\\s+"), "one word and the whitespace after it: '" + chunk + "'");
      }
    }
  }

  @Test
  void aLongPromptIsQuotedShortOnOneLineWithoutSplittingACharacter() {
    String reply = SimulatedAssistant.replyTo("🙂".repeat(100) + "\n\nmore");
    String firstParagraph = reply.substring(0, reply.indexOf("\n\n"));
    assertTrue(firstParagraph.contains("🙂".repeat(79) + "…"), firstParagraph);
    assertTrue(!firstParagraph.contains("more"), firstParagraph);
  }
}
