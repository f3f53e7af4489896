package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.TestTokens;
import io.chunkrelay.it.support.TomcatNode;
import io.chunkrelay.launch.LocalServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * docker-compose.yml as its node sees it. No Docker engine runs here, so the built WAR runs in a
 * standalone Tomcat with exactly the environment the compose file gives its node service and the
 * server.xml it mounts; only the compose services' addresses ({@code postgres}, {@code redis}) are
 * mapped to this run's PostgreSQL and Redis. The node must start (a compose file without a token
 * key once started a WAR that refused to), require tokens, and serve a producer whose token is
 * signed with the secret compose hands on.
 */
class ComposeFileIT {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern INTERPOLATION =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");
  private static final String SECRET = "compose-secret-" + UUID.randomUUID();

  @Test
  void theComposeNodeStartsRequiresTokensAndServesAProducer() throws Exception {
    JsonNode services = YAML.readTree(Path.of("docker-compose.yml").toFile()).get("services");
    JsonNode node = services.get(nodeService(services));

    // The secret is the operator's: compose refuses to start without one rather than use a default.
    String secretSetting = node.get("environment").get("CHUNK_RELAY_JWT_SECRET").asText();
    assertTrue(secretSetting.matches("\\$\\{CHUNK_RELAY_JWT_SECRET:\\?.+}"), secretSetting);

    Map<String, String> env = new LinkedHashMap<>();
    node.get("environment")
        .fields()
        .forEachRemaining(e -> env.put(e.getKey(), interpolate(e.getValue().asText())));
    TestServices.Database db = TestServices.database();
    assertEquals("jdbc:postgresql://postgres:5432/chunkrelay", env.get("CHUNK_RELAY_DB_URL"));
    assertEquals(
        LocalServices.RUNTIME_ROLE, env.get("CHUNK_RELAY_DB_USER"), "nodes never own the log");
    env.put("CHUNK_RELAY_DB_URL", db.jdbcUrl());
    env.put("CHUNK_RELAY_DB_PASSWORD", db.password());
    migrateAsComposeDoes(services, db);
    assertEquals("redis://redis:6379", env.get("CHUNK_RELAY_REDIS_URL"));
    env.put("CHUNK_RELAY_REDIS_URL", TestServices.redisUrl());
    // This run's channels only, so the node hears no other test's chunks.
    env.put("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", TestServices.channelPrefix());

    Path serverXml = mounted(node, "/usr/local/tomcat/conf/server.xml");
    Element connector =
        (Element)
            DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(serverXml.toFile())
                .getElementsByTagName("Connector")
                .item(0);
    assertEquals("0", connector.getAttribute("maxSwallowSize"), "README: a WAR's Tomcat needs it");
    int port = LocalServices.freePort();
    String conf = Files.readString(serverXml).replace("port=\"8080\"", "port=\"" + port + "\"");

    try (TomcatNode tomcat =
        TomcatNode.startAsConfigured("compose-node1", env, port, Map.of("server.xml", conf))) {
      tomcat.awaitHealthy(Duration.ofSeconds(120));
      Http http = new Http(tomcat.base());
      String stream = "compose-" + UUID.randomUUID();
      Http.Response anonymous =
          http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m", "no token"));
      assertEquals(401, anonymous.status(), anonymous.body());
      String token = TestTokens.sign(TestTokens.claims("compose", "produce", stream), SECRET);
      Http.Response appended =
          http.postJson(
              "api/streams/" + stream + "/chunks",
              Http.chunk("m", "hello compose"),
              TestTokens.bearer(token));
      assertEquals(201, appended.status(), appended.body() + "\n" + tomcat.logTail());
      assertFalse(tomcat.log().contains("SEVERE"), tomcat.logTail());
    }
  }

  /**
   * The roles as the compose PostgreSQL creates them (db/roles.sql, run by psql as it is there),
   * and the migrate service's own command with its environment: the node then starts against a
   * schema it only checks.
   */
  private static void migrateAsComposeDoes(JsonNode services, TestServices.Database db)
      throws Exception {
    JsonNode postgres = services.get("postgres");
    Path roles = mounted(postgres, "/chunk-relay/roles.sql");
    assertTrue(
        Files.readString(mounted(postgres, "/docker-entrypoint-initdb.d/10-chunk-relay-roles.sh"))
            .contains("-f /chunk-relay/roles.sql"));
    ProcessBuilder asSuperuser =
        new ProcessBuilder(
                "psql",
                "-X",
                "-q",
                "-v",
                "owner_password=unused-here",
                "-v",
                "runtime_password=unused-here",
                "-f",
                roles.toString(),
                db.jdbcUrl().replace("jdbc:", "").replaceAll("\\?.*", ""),
                "-U",
                db.user())
            .redirectErrorStream(true);
    asSuperuser.environment().put("PGPASSWORD", db.password());
    Process psql = asSuperuser.start();
    String psqlSaid = new String(psql.getInputStream().readAllBytes());
    assertEquals(0, psql.waitFor(), "db/roles.sql: " + psqlSaid);

    JsonNode migrate = services.get("migrate");
    List<String> command = new ArrayList<>();
    migrate.get("command").forEach(part -> command.add(part.asText()));
    assertEquals(List.of("java", "-jar", "/opt/chunk-relay.jar", "migrate"), command);
    Path jar = mounted(migrate, "/opt/chunk-relay.jar");
    Map<String, String> env = new LinkedHashMap<>();
    migrate
        .get("environment")
        .fields()
        .forEachRemaining(e -> env.put(e.getKey(), interpolate(e.getValue().asText())));
    assertEquals(LocalServices.OWNER_ROLE, env.get("CHUNK_RELAY_DB_MIGRATE_USER"));
    env.put("CHUNK_RELAY_DB_URL", db.jdbcUrl());
    env.put("CHUNK_RELAY_DB_MIGRATE_PASSWORD", db.password());
    ProcessBuilder run =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "migrate")
            .redirectErrorStream(true);
    run.environment().keySet().removeIf(key -> key.startsWith("CHUNK_RELAY_"));
    run.environment().putAll(env);
    Process migration = run.start();
    String said = new String(migration.getInputStream().readAllBytes());
    assertEquals(0, migration.waitFor(), said);
    assertTrue(said.contains("schema " + db.schema()), said);
  }

  /** The one service that runs the WAR. */
  private static String nodeService(JsonNode services) {
    List<String> nodes = new ArrayList<>();
    services
        .fields()
        .forEachRemaining(
            service -> {
              if (mounts(service.getValue(), "chunk-relay.war")) {
                nodes.add(service.getKey());
              }
            });
    assertEquals(1, nodes.size(), "services mounting the WAR: " + nodes);
    return nodes.get(0);
  }

  private static boolean mounts(JsonNode service, String fragment) {
    JsonNode volumes = service.get("volumes");
    if (volumes == null) {
      return false;
    }
    for (JsonNode volume : volumes) {
      if (volume.asText().contains(fragment)) {
        return true;
      }
    }
    return false;
  }

  /** The file of this repository that {@code service} mounts at {@code target}. */
  private static Path mounted(JsonNode service, String target) {
    for (JsonNode volume : service.get("volumes")) {
      String[] parts = volume.asText().split(":");
      if (parts[1].equals(target)) {
        return Path.of(parts[0]);
      }
    }
    throw new AssertionError("nothing is mounted at " + target + ": " + service.get("volumes"));
  }

  /** Compose's {@code ${NAME}}, {@code ${NAME:-default}} and {@code ${NAME:?error}}. */
  private static String interpolate(String value) {
    Map<String, String> shell = Map.of("CHUNK_RELAY_JWT_SECRET", SECRET);
    Matcher matcher = INTERPOLATION.matcher(value);
    StringBuilder result = new StringBuilder();
    while (matcher.find()) {
      String set = shell.get(matcher.group(1));
      String replacement;
      if (set != null) {
        replacement = set;
      } else if (matcher.group(2) != null && matcher.group(2).endsWith("-")) {
        replacement = matcher.group(3);
      } else {
        throw new AssertionError("compose needs " + matcher.group(1) + " set: " + value);
      }
      matcher.appendReplacement(result, Matcher.quoteReplacement(replacement));
    }
    matcher.appendTail(result);
    return result.toString();
  }
}
