package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.demo.SimulatedAssistant;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.DemoBrowser;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.FaultyProxy;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.OtherOriginPage;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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
 * reloaded or its connection dropped mid-reply. The node runs as a deployed one does, requiring
 * tokens: the demo signs its own producer tokens and hands the page a subscriber token per reply.
 */
@ExtendWith(ArquillianExtension.class)
class DemoPageIT {
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");

  /** Where a page of another origin is served from: a port of its own on another host name. */
  private static final int OTHER_ORIGIN_PORT = otherOriginPort();

  private static final String OTHER_ORIGIN = "http://127.0.0.1:" + OTHER_ORIGIN_PORT;

  @ArquillianResource private URL base;

  private static int otherOriginPort() {
    try {
      return LocalServices.freePort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The page as a visitor of a node that requires tokens opens it: with a token of their own that
   * may subscribe to the demo's streams, in the fragment.
   */
  private String withToken() {
    return base + "#token=" + TestTokens.token("demo-visitor", "subscribe", "demo-*");
  }

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.securedWar(
        Map.of("CHUNK_RELAY_ALLOWED_ORIGINS", TestServices.ALLOWED_ORIGIN + "," + OTHER_ORIGIN));
  }

  /**
   * README's JavaScript example on a page the node does not serve: the page imports the client from
   * the node by its absolute URL (a CORS request, which the browser refuses unless the node names
   * the page's origin) and follows a stream there.
   */
  @Test
  void aPageOfAnotherListedOriginImportsTheClientFromTheNodeAndFollowsAStream() throws Exception {
    String stream = "other-origin-" + UUID.randomUUID();
    String page =
        """
        <!doctype html><html><body><p id="reply"></p>
        <script type="module">
          import { connect } from '%sjs/chunk-relay.js';
          const sub = connect('%s', {
            token: () => '%s',
            onChunk: (chunk, s) => { document.querySelector('#reply').textContent = s.text; },
          });
          sub.completed.then(({ text, verified }) => {
            document.title = 'complete: ' + text + ' verified=' + verified;
          });
        </script></body></html>
        """
            .formatted(base, stream, TestTokens.token("page", "subscribe", stream));
    try (OtherOriginPage other = OtherOriginPage.serve(OTHER_ORIGIN_PORT, page);
        DemoBrowser browser = DemoBrowser.open(other.url())) {
      Http http = new Http(base);
      String[] producer = TestTokens.bearer(TestTokens.token("writer", "produce", stream));
      for (String word : List.of("across ", "origins")) {
        assertEquals(
            201,
            http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", word), producer)
                .status());
      }
      http.postJson("api/streams/" + stream + "/complete", "", producer);
      browser.waitUntil(d -> d.getTitle().startsWith("complete: "));
      // Verified: the page's Web Crypto chain over what it received equals the complete frame's.
      assertEquals("complete: across origins verified=true", browser.title());
      assertEquals(List.of(), browser.consoleErrors());
    }
  }

  @Test
  void aReplyReloadedMidwayEndsWithEveryWordOnceAndResumesFromTheKeptSeq() throws Exception {
    String prompt = "Reload me halfway " + UUID.randomUUID();
    try (DemoBrowser page = DemoBrowser.open(withToken())) {
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
    try (DemoBrowser page = DemoBrowser.open(withToken())) {
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
  void aReplyOverANetworkCutFiveTimesEndsWithEveryWordOnce() throws Exception {
    String prompt = "Cut my network five times " + UUID.randomUUID();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    try (FaultyProxy network = new FaultyProxy("127.0.0.1", base.getPort());
        DemoBrowser page =
            DemoBrowser.open(
                new URL("http", "127.0.0.1", network.port(), base.getPath())
                    + withToken().substring(base.toString().length()))) {
      String stream = page.ask(prompt);
      for (int cut = 1; cut <= 5; cut++) {
        page.awaitSeq(cut * 20L);
        page.waitUntil(d -> "live".equals(page.connectionState()));
        network.cut();
        int expected = cut;
        page.waitUntil(d -> page.reconnects() >= expected);
        Thread.sleep(random.nextInt(300));
        network.heal();
      }
      page.awaitComplete();

      assertReplyIsExact(page, prompt, stream);
      assertTrue(page.reconnects() >= 5, "seed " + seed + ": " + page.events());
    }
  }

  @Test
  void theDemoMidStreamIsSavedAsAScreenshot() throws Exception {
    String prompt = "What happens to every word you write?";
    try (DemoBrowser page = DemoBrowser.open(withToken())) {
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
      page.screenshot(SCREENSHOTS.resolve("demo-complete.png"));
    }
  }

  @Test
  void aReplyTallerThanTheWindowStaysAboveTheMessageBoxAndThePageLogsNoError() throws Exception {
    String prompt = "Tell me a long story " + UUID.randomUUID();
    try (DemoBrowser page = DemoBrowser.open(withToken(), 1000, 520)) {
      String stream = page.ask(prompt);
      page.waitUntil(d -> page.replyTallerThanTheWindow());
      assertEquals("streaming", page.replyState(), "the reply outgrew the window after its end");
      assertEquals(0, page.replyPixelsUnderTheMessageBox(), "while it streams");
      page.awaitComplete();
      assertEquals(0, page.replyPixelsUnderTheMessageBox(), "once complete");
      assertReplyIsExact(page, prompt, stream);
      assertEquals(List.of(), page.consoleErrors(), "the page's console");

      page.clickReload();
      page.awaitComplete();
      page.waitUntil(d -> page.replyPixelsUnderTheMessageBox() == 0);
      assertEquals(List.of(), page.consoleErrors(), "the reloaded page's console");
    }
  }

  @Test
  void theBrowserClientDropsDuplicatesAndNeverSkipsAGap() throws Exception {
    try (DemoBrowser page = DemoBrowser.open(withToken())) {
      // The real module in the real browser, fed by a hand-driven socket: the server never sends
      // duplicates or gaps, so only a fake can check the client's second line of defence.
      Object result = page.asyncScript(FAKE_SOCKET_SCRIPT);
      assertEquals(
          "seqs=1,2,3,4 text=abcd duplicates=2 gaps=1 reconnects=2"
              + " urls=after=0,after=2,after=3 state=complete"
              + " refused=failed:after-beyond-head aborted=closed:rejected backoff=bounded"
              + " expired=failed:stream-expired:sockets=1",
          result);
    }
  }

  @Test
  void theBrowserClientRenewsItsTokenAndMissesNothing() throws Exception {
    String stream = "browser-renew-" + UUID.randomUUID();
    Http http = new Http(base);
    String[] producer = TestTokens.bearer(TestTokens.token("writer", "produce", stream));
    assertEquals(
        201,
        http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "c1 "), producer)
            .status());
    try (DemoBrowser page = DemoBrowser.open(withToken())) {
      // Subscriber tokens that run out one after another, two seconds apart.
      Instant now = Instant.now();
      String tokens =
          IntStream.range(0, 12)
              .mapToObj(
                  k ->
                      "'"
                          + TestTokens.sign(
                              TestTokens.claims("page", "subscribe", stream)
                                  .expirationTime(Date.from(now.plusSeconds(2 + 2L * k))))
                          + "'")
              .collect(Collectors.joining(",", "[", "]"));
      Thread writer =
          new Thread(
              () -> {
                for (int i = 2; i <= 24; i++) {
                  http.postJson(
                      "api/streams/" + stream + "/chunks",
                      Http.chunk("m", "c" + i + " "),
                      producer);
                  Await.sleep(250);
                }
                http.postJson("api/streams/" + stream + "/complete", "", producer);
              });
      writer.start();
      Object result =
          page.asyncScript(RENEWING_SCRIPT.replace("STREAM", stream).replace("TOKENS", tokens));
      writer.join(30_000);
      String expected =
          IntStream.rangeClosed(1, 24).mapToObj(i -> "c" + i + " ").collect(Collectors.joining());
      assertTrue(
          String.valueOf(result).startsWith("lastSeq=24 text=" + expected + " expired="),
          String.valueOf(result));
      assertTrue(
          String.valueOf(result).endsWith(" verified=true"),
          "across reconnections the page's chain equals the log's: " + result);
      int expired =
          Integer.parseInt(String.valueOf(result).replaceAll(".* expired=(\\d+).*", "$1"));
      assertTrue(expired >= 2, "the subscription outlived several tokens: " + result);
    }
  }

  /** The real module against the real node, with a token function that hands out the next one. */
  private static final String RENEWING_SCRIPT =
      """
      const done = arguments[arguments.length - 1];
      (async () => {
      const { connect } = await import(new URL('js/chunk-relay.js', location.href).href);
      const tokens = TOKENS;
      let calls = 0;
      const codes = [];
      const sub = connect('STREAM', {
        token: async () => tokens[Math.min(calls++, tokens.length - 1)],
        onError: (error) => codes.push(error.code),
      });
      const result = await sub.completed;
      done(`lastSeq=${result.lastSeq} text=${result.text}`
        + ` expired=${codes.filter((code) => code === 'token-expired').length} calls=${calls}`
        + ` verified=${result.verified}`);
      })().catch((error) => done('failed: ' + error));
      """;

  private static final String FAKE_SOCKET_SCRIPT =
      """
      const done = arguments[arguments.length - 1];
      (async () => {
      const { connect } = await import(new URL('js/chunk-relay.js', location.href).href);
      const sockets = [];
      class FakeSocket {
        static OPEN = 1;
        static refuse = 0;                     // how many next connection attempts fail
        constructor(url) {
          this.url = String(url); this.readyState = 0; sockets.push(this);
          if (FakeSocket.refuse > 0) {
            FakeSocket.refuse--;
            setTimeout(() => { this.readyState = 3; this.onclose?.({ code: 1006 }); }, 0);
          } else {
            setTimeout(() => { this.readyState = 1; this.onopen?.(); }, 0);
          }
        }
        close(code) {
          if (this.readyState > 1) return;
          this.readyState = 3;
          setTimeout(() => this.onclose?.({ code: code ?? 1005 }), 0);
        }
        chunk(seq, content) {
          this.onmessage?.({ data: JSON.stringify({ type: 'chunk', seq, messageId: 'm', content, final: false }) });
        }
      }
      window.WebSocket = FakeSocket;
      const seqs = [];
      const opened = (n) => new Promise((resolve) => {
        const wait = () => (sockets.length >= n && sockets[n - 1].readyState === 1 ? resolve() : setTimeout(wait, 5));
        wait();
      });
      const sub = connect('fake-stream', {
        initialBackoffMillis: 1, maxBackoffMillis: 2,
        onChunk: (chunk) => seqs.push(chunk.seq),
      });
      await opened(1);
      const first = sockets[0];
      first.chunk(1, 'a'); first.chunk(2, 'b'); first.chunk(2, 'b'); first.chunk(1, 'a');
      first.chunk(4, 'd');                     // a gap: must not be shown, must reconnect after 2
      await opened(2);
      const second = sockets[1];
      second.chunk(3, 'c');
      second.close(1006);                      // a lost connection: reconnect after 3
      await opened(3);
      const third = sockets[2];
      third.chunk(4, 'd');
      third.onmessage({ data: JSON.stringify({ type: 'complete', lastSeq: 4 }) });
      const result = await sub.completed;
      const urls = sockets.slice(0, 3).map((s) => 'after=' + new URL(s.url).searchParams.get('after'));
      const stats = sub.stats;

      const refused = connect('fake-refused', {});
      await opened(4);
      sockets[3].onmessage({ data: JSON.stringify({ type: 'error', code: 'after-beyond-head', message: 'no' }) });
      const failure = await refused.completed.then(() => 'resolved', (error) => error.code);

      const controller = new AbortController();
      const aborted = connect('fake-aborted', { signal: controller.signal });
      controller.abort();
      const abort = await aborted.completed.then(() => 'resolved', () => 'rejected');

      // Eight refused attempts in a row: each wait is random below 8, 16, 32, 64, then 64 ms.
      const waits = [];
      FakeSocket.refuse = 8;
      const before = sockets.length;
      const patient = connect('fake-patient', {
        initialBackoffMillis: 8, maxBackoffMillis: 64,
        onStateChange: (state, detail) => {
          if (state === 'reconnecting') waits.push([detail.attempt, detail.delayMillis]);
        },
      });
      await opened(before + 9);
      sockets[before + 8].onmessage({ data: JSON.stringify({ type: 'complete', lastSeq: 0 }) });
      await patient.completed;
      const backoff = waits.length === 8
        && waits.every(([attempt, wait], i) => attempt === i + 1 && wait >= 0 && wait <= Math.min(64, 8 * 2 ** i))
        ? 'bounded' : JSON.stringify(waits);

      // Retention dropped the stream under the subscriber (close 4410): a definite end, no retry.
      const expiredAt = sockets.length;
      const expiring = connect('fake-expired', { initialBackoffMillis: 1, maxBackoffMillis: 2 });
      await opened(expiredAt + 1);
      const expiringSocket = sockets[expiredAt];
      expiringSocket.chunk(1, 'x');
      expiringSocket.readyState = 3;
      expiringSocket.onclose({ code: 4410, reason: 'stream-expired earliestSeq=2' });
      const expiry = await expiring.completed.then(() => 'resolved', (error) => error.code);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const expired = `${expiring.state}:${expiry}:sockets=${sockets.length - expiredAt}`;

      done(`seqs=${seqs} text=${result.text} duplicates=${stats.duplicatesDropped}`
        + ` gaps=${stats.gapsDetected} reconnects=${stats.reconnects} urls=${urls} state=${sub.state}`
        + ` refused=${refused.state}:${failure} aborted=${aborted.state}:${abort} backoff=${backoff}`
        + ` expired=${expired}`);
      })().catch((error) => done('failed: ' + error));
      """;

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
