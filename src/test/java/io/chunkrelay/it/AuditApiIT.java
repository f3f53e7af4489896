package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Deployments;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestTokens;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The audit API on a node that requires tokens: only the audit scope reads it; it lists the
 * streams' health by status a page at a time and gives one stream's health, producers and the
 * verifier's findings, read through Hibernate from the audit views.
 */
@ExtendWith(ArquillianExtension.class)
class AuditApiIT {
  @ArquillianResource private URL base;

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.securedWar();
  }

  @Test
  void onlyTheAuditScopeReadsIt() {
    Http http = new Http(base);
    assertEquals(401, http.get("api/audit/streams").status());
    Http.Response producer =
        http.get(
            "api/audit/streams",
            TestTokens.bearer(TestTokens.token("svc", "produce subscribe admin", "*")));
    assertEquals(403, producer.status(), producer.body());
    assertEquals(200, http.get("api/audit/streams", auditor()).status());
    Http.Response posted = http.postJson("api/audit/streams", "{}", auditor());
    assertEquals(405, posted.status(), posted.body());
  }

  @Test
  void aStreamsHealthProducersAndVerdict() {
    Http http = new Http(base);
    String stream = "audit-" + UUID.randomUUID();
    String[] writer = TestTokens.bearer(TestTokens.token("writer-1", "produce", stream));
    String path = "api/streams/" + stream + "/chunks";
    assertEquals(201, http.postJson(path, Http.chunk("m", "one"), writer).status());
    List<String> headers = new ArrayList<>(List.of(writer));
    headers.addAll(List.of("Producer-Id", "p-1", "Producer-Epoch", "2", "Producer-Seq", "0"));
    Http.Response produced =
        http.postJson(path, Http.chunk("m", "two"), headers.toArray(String[]::new));
    assertEquals(201, produced.status(), produced.body());

    JsonNode audit = http.get("api/audit/streams/" + stream, auditor()).json();
    assertEquals(stream, audit.get("streamId").asText());
    assertEquals("open", audit.get("status").asText());
    assertEquals(2, audit.get("headSeq").asLong());
    assertEquals("writer-1", audit.get("lastWriter").asText());
    assertEquals(1, audit.get("producers").asLong());
    JsonNode session = audit.get("producerSessions").get(0);
    assertEquals("p-1", session.get("producerId").asText());
    assertEquals(2, session.get("epoch").asLong());
    assertEquals("writer-1", session.get("owner").asText());
    assertTrue(audit.get("verified").asBoolean(), audit.toString());
    assertEquals(0, audit.get("problems").size());
    JsonNode head =
        http.get(
                "api/streams/" + stream,
                TestTokens.bearer(TestTokens.token("r", "subscribe", stream)))
            .json();
    assertEquals(head.get("chain").asText(), audit.get("chain").asText());

    ChunkTable.execute(
        "alter table chunks disable trigger chunks_append_only;"
            + " update chunks set content = 'forged' where stream_id = '"
            + stream
            + "' and seq = 1;"
            + " alter table chunks enable trigger chunks_append_only");
    JsonNode tampered = http.get("api/audit/streams/" + stream, auditor()).json();
    assertFalse(tampered.get("verified").asBoolean());
    assertEquals(1, tampered.get("problems").get(0).get("seq").asLong());
    assertEquals("hash-mismatch", tampered.get("problems").get(0).get("problem").asText());

    assertEquals(
        404, http.get("api/audit/streams/audit-none-" + UUID.randomUUID(), auditor()).status());
    assertEquals(400, http.get("api/audit/streams/bad%20id", auditor()).status());
  }

  @Test
  void streamsAreListedByStatusAPageAtATime() {
    Http http = new Http(base);
    String prefix = "audit-list-" + UUID.randomUUID();
    String[] writer = TestTokens.bearer(TestTokens.token("writer-2", "produce", prefix + "-*"));
    for (int i = 0; i < 3; i++) {
      http.postJson("api/streams/" + prefix + "-" + i + "/chunks", Http.chunk("m", "x"), writer);
    }
    http.postJson("api/streams/" + prefix + "-1/complete", "", writer);

    List<String> completed = new ArrayList<>();
    List<String> open = new ArrayList<>();
    for (String status : List.of("completed", "open")) {
      int page = 1;
      boolean more = true;
      while (more) {
        JsonNode body =
            http.get("api/audit/streams?status=" + status + "&page=" + page, auditor()).json();
        for (JsonNode stream : body.get("streams")) {
          assertEquals(status, stream.get("status").asText());
          if (stream.get("streamId").asText().startsWith(prefix)) {
            (status.equals("open") ? open : completed).add(stream.get("streamId").asText());
          }
        }
        more = body.get("more").asBoolean();
        page++;
      }
    }
    assertEquals(List.of(prefix + "-1"), completed);
    assertEquals(List.of(prefix + "-0", prefix + "-2"), open);
    Http.Response bad = http.get("api/audit/streams?status=closed", auditor());
    assertEquals(400, bad.status());
    assertEquals("invalid-parameter", bad.json().get("code").asText());
    JsonNode lagging = http.get("api/audit/streams?laggingOverSeconds=3600", auditor()).json();
    assertEquals(0, lagging.get("streams").size(), "nothing waits an hour for the outbox");
  }

  private static String[] auditor() {
    return TestTokens.bearer(TestTokens.token("dba", "audit", "*"));
  }
}
