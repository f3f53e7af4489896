package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.it.support.ChunkTable;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.launch.LocalServices;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WAR in a standalone Tomcat that authenticates users itself (its user database, BASIC, the
 * operator's own deployment descriptor through {@code altDDName}), as an enterprise realm or SSO
 * would: users in role {@code chunk-relay-producer} or {@code chunk-relay-subscriber} get that
 * scope on every stream without any token, and each chunk records the user who wrote it.
 */
class ContainerRolesIT {
  private static final String USERS =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
        <role rolename="chunk-relay-producer"/>
        <role rolename="chunk-relay-subscriber"/>
        <user username="alice" password="alice-pw" roles="chunk-relay-producer"/>
        <user username="bob" password="bob-pw" roles="chunk-relay-subscriber"/>
      </tomcat-users>
      """;

  /** The operator's descriptor: container authentication over the API and WebSockets. */
  private static final String WEB_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
        <security-constraint>
          <web-resource-collection>
            <web-resource-name>streams</web-resource-name>
            <url-pattern>/api/*</url-pattern>
            <url-pattern>/ws/*</url-pattern>
          </web-resource-collection>
          <auth-constraint>
            <role-name>chunk-relay-producer</role-name>
            <role-name>chunk-relay-subscriber</role-name>
            <role-name>chunk-relay-admin</role-name>
          </auth-constraint>
        </security-constraint>
        <login-config>
          <auth-method>BASIC</auth-method>
          <realm-name>chunk-relay</realm-name>
        </login-config>
      </web-app>
      """;

  private static final String CONTEXT =
      """
      <Context containerSciFilter="WsSci" altDDName="${test.catalina.base}/conf/chunk-relay-web.xml"/>
      """;

  private static TomcatNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        TomcatNode.start(
                "container-roles",
                Map.of("CHUNK_RELAY_AUTH", "", "CHUNK_RELAY_JWT_SECRET", TestServices.JWT_SECRET),
                LocalServices.freePort(),
                Map.of(
                    "tomcat-users.xml", USERS,
                    "chunk-relay-web.xml", WEB_XML,
                    "Catalina/localhost/chunk-relay.xml", CONTEXT))
            .awaitHealthy(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aRealmUsersRoleGrantsItsScopeOnEveryStreamAndNamesTheAuthor() throws Exception {
    Http http = new Http(node.base());
    String stream = "realm-" + UUID.randomUUID();
    Http.Response appended =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m1", "by alice"),
            basic("alice", "alice-pw"));
    assertEquals(201, appended.status(), appended.body());
    assertEquals(List.of("alice"), ChunkTable.authors(stream));

    Http.Response subscriberAppends =
        http.postJson(
            "api/streams/" + stream + "/chunks",
            Http.chunk("m1", "by bob"),
            basic("bob", "bob-pw"));
    assertEquals(403, subscriberAppends.status());
    assertEquals("scope-not-allowed", subscriberAppends.json().path("code").asText());

    Http.Response read =
        http.send(
            HttpRequest.newBuilder(http.base().resolve("api/streams/" + stream + "/chunks"))
                .headers(basic("bob", "bob-pw"))
                .build());
    assertEquals(200, read.status(), read.body());
    assertEquals("by alice", read.json().path("chunks").get(0).path("content").asText());

    try (WsClient client =
        WsClient.connect(
            URI.create(node.base() + "ws/streams/" + stream + "?after=0"),
            Map.of("Authorization", basic("bob", "bob-pw")[1]),
            List.of())) {
      assertTrue(client.next(Duration.ofSeconds(10)).contains("by alice"));
    }

    Http.Response wrongPassword =
        http.postJson(
            "api/streams/" + stream + "/chunks", Http.chunk("m1", "x"), basic("alice", "nope"));
    assertEquals(401, wrongPassword.status());
    assertEquals(1, ChunkTable.count("chunks", stream), "only alice's chunk was written");
  }

  private static String[] basic(String user, String password) {
    return new String[] {
      "Authorization",
      "Basic "
          + Base64.getEncoder()
              .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8))
    };
  }
}
