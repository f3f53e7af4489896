package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.demo.SimulatedAssistant;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.DemoBrowser;
import io.chunkrelay.it.support.Deployments;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The demo chat in a real headless Chromium against the deployed WAR: the simulated assistant
 * writes through the chunk log, the page's client (js/chunk-relay.js) delivers it, and the reply on
 * screen must equal the assistant's reply and the table, word for word, however the page is
 * reloaded or its connection dropped mid-reply.
 */
@ExtendWith(ArquillianExtension.class)
class DemoPageIT {
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");

  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @Test
  void aReplyReloadedMidwayEndsWithEveryWordOnceAndResumesFromTheKeptSeq() throws Exception {
    String prompt = "Reload me halfway " + UUID.randomUUID();
    try (DemoBrowser page = DemoBrowser.open(base.toString())) {
      String stream = page.ask(prompt);
      page.awaitSeq(30);
      long seenBeforeReload = page.lastSeq();
      page.clickReload();
      page.awaitComplete();

      assertReplyIsExact(page, prompt, stream);
      long resumedAfter =
          page.events().stream()
              .filter(event -> event.contains("connecting, after="))
              .mapToLong(event -> Long.parseLong(event.replaceAll(".*after=(\\d+).*", "$1")))
              .min()
              .orElseThrow();
      assertTrue(
          resumedAfter >= seenBeforeReload,
          "the reloaded page resumed after seq "
              + resumedAfter
              + " though it had shown "
              + seenBeforeReload);
      assertTrue(
          seenBeforeReload < ChunkTable.head(stream),
          "the reload came after the reply ended: nothing was tested");
    }
  }

  @Test
  void aReplyWhoseConnectionDropsFiveTimesEndsWithEveryWordOnce() throws Exception {
    String prompt = "Drop me five times " + UUID.randomUUID();
    try (DemoBrowser page = DemoBrowser.open(base.toString())) {
      String stream = page.ask(prompt);
      int total = SimulatedAssistant.chunks(SimulatedAssistant.replyTo(prompt)).size();
      for (int drop = 1; drop <= 5; drop++) {
        page.awaitSeq(drop * 20L);
        page.waitUntil(d -> "live".equals(page.connectionState()));
        long shown = page.lastSeq();
        assertTrue(shown < total, "drop " + drop + " came after the reply ended");
        page.clickDrop();
        int expected = drop;
        page.waitUntil(d -> page.reconnects() >= expected);
      }
      page.awaitComplete();

      assertReplyIsExact(page, prompt, stream);
      assertEquals(5, page.reconnects(), "reconnects the panel counted");
    }
  }

  @Test
  void theDemoMidStreamIsSavedAsAScreenshot() throws Exception {
    String prompt = "What happens to every word you write?";
    try (DemoBrowser page = DemoBrowser.open(base.toString())) {
      String stream = page.ask(prompt);
      page.awaitSeq(40);
      page.waitUntil(d -> !page.auditRows().isEmpty());
      Path shot = SCREENSHOTS.resolve("demo-mid-stream.png");
      page.screenshot(shot);

      assertEquals("streaming", page.replyState(), "the screenshot must show a reply mid-stream");
      assertTrue(Files.size(shot) > 20_000, "a near-empty screenshot: " + Files.size(shot));
      List<String> firstRow = page.auditRows().get(0);
      assertEquals("1", firstRow.get(0), "the audit view starts at seq 1");
      assertEquals(ChunkTable.chunks(stream).get(0).messageId(), firstRow.get(1));
      page.awaitComplete();
      assertReplyIsExact(page, prompt, stream);
    }
  }

  /** The page, the assistant and the table agree on the reply, and the page says so. */
  private static void assertReplyIsExact(DemoBrowser page, String prompt, String stream) {
    String expected = SimulatedAssistant.replyTo(prompt);
    assertEquals(expected, page.replyText(), "the reply on the page");
    String stored =
        ChunkTable.chunks(stream).stream()
            .map(ChunkTable.Row::content)
            .collect(Collectors.joining());
    assertEquals(expected, stored, "the reply in the chunks table");
    page.waitUntil(d -> page.gapCheck().startsWith("true: no gaps · all"));
  }
}
