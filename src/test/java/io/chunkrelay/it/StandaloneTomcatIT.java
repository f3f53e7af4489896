package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.TestServices;
import io.chunkrelay.it.support.WsClient;
import io.chunkrelay.launch.LocalServices;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built {@code target/chunk-relay.war}, unchanged, in a standalone Tomcat 11 from the Maven
 * Central distribution archive, configured only through environment variables as an operator would:
 * it starts, serves the API and delivers over WebSocket through Tyrus.
 */
class StandaloneTomcatIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private static Process tomcat;
  private static Path log;
  private static URI base;

  @BeforeAll
  static void startTomcat() throws Exception {
    Path home = Path.of(System.getProperty("chunkrelay.test.tomcat"));
    Path war = Path.of(System.getProperty("chunkrelay.test.war"));
    assertTrue(Files.isDirectory(home), "Tomcat distribution missing at " + home);
    assertTrue(Files.isRegularFile(war), "WAR missing at " + war + ": run mvn verify");

    Path catalinaBase = Path.of("target", "standalone-tomcat-base").toAbsolutePath();
    deleteRecursively(catalinaBase);
    for (String dir : List.of("conf", "webapps", "logs", "temp", "work")) {
      Files.createDirectories(catalinaBase.resolve(dir));
    }
    try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
      for (Path file : conf.filter(Files::isRegularFile).toList()) {
        Files.copy(file, catalinaBase.resolve("conf").resolve(file.getFileName()));
      }
    }
    int port = LocalServices.freePort();
    Path serverXml = catalinaBase.resolve("conf/server.xml");
    String server = Files.readString(serverXml);
    server =
        server
            .replace("port=\"8005\"", "port=\"-1\"")
            .replace("port=\"8080\"", "port=\"" + port + "\"");
    Files.writeString(serverXml, server);
    Files.copy(
        war, catalinaBase.resolve("webapps/chunk-relay.war"), StandardCopyOption.REPLACE_EXISTING);

    TestServices.Database db = TestServices.database();
    log = Path.of("target", "standalone-tomcat.log").toAbsolutePath();
    ProcessBuilder builder =
        new ProcessBuilder("sh", home.resolve("bin/catalina.sh").toString(), "run")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("CATALINA_HOME", home.toAbsolutePath().toString());
    env.put("CATALINA_BASE", catalinaBase.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("CHUNK_RELAY_DB_URL", db.jdbcUrl());
    env.put("CHUNK_RELAY_DB_USER", db.user());
    env.put("CHUNK_RELAY_DB_PASSWORD", db.password());
    env.put("CHUNK_RELAY_REDIS_URL", TestServices.redisUrl());
    env.put("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", TestServices.channelPrefix());
    env.put("CHUNK_RELAY_NODE_ID", "standalone-tomcat");
    tomcat = builder.start();
    base = URI.create("http://127.0.0.1:" + port + "/chunk-relay/");
    awaitHealthy();
  }

  @AfterAll
  static void stopTomcat() throws Exception {
    if (tomcat != null) {
      tomcat.destroy();
      if (!tomcat.waitFor(30, TimeUnit.SECONDS)) {
        tomcat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theWarServesTheApiInAStandaloneTomcat() {
    Http http = new Http(base);
    String stream = "standalone-" + UUID.randomUUID();
    Http.Response appended =
        http.postJson(
            "api/streams/" + stream + "/chunks", "{\"messageId\":\"m1\",\"content\":\"hi\"}");
    assertEquals(201, appended.status(), appended.body());
    assertEquals(stream, appended.json().get("streamId").asText());
    assertEquals(1, appended.json().get("seq").asLong());

    Http.Response listed = http.get("api/streams/" + stream + "/chunks?after=0");
    assertEquals(200, listed.status());
    assertEquals("hi", listed.json().get("chunks").get(0).get("content").asText());

    Http.Response problem = http.postJson("api/streams/" + stream + "/chunks", "{");
    assertEquals(400, problem.status());
    assertEquals("malformed-json", problem.json().get("code").asText());
  }

  @Test
  void theWarDeliversOverWebSocketThroughTyrusInAStandaloneTomcat() throws Exception {
    Http http = new Http(base);
    String stream = "standalone-ws-" + UUID.randomUUID();
    http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "one"));
    try (WsClient client = WsClient.connect(base.resolve("ws/streams/" + stream + "?after=0"))) {
      JsonNode first = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("chunk", first.get("type").asText());
      assertEquals(1, first.get("seq").asLong());
      http.postJson("api/streams/" + stream + "/chunks", Http.chunk("m1", "two"));
      JsonNode second = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals(2, second.get("seq").asLong());
      assertEquals("two", second.get("content").asText());
      http.postJson("api/streams/" + stream + "/complete", "");
      JsonNode complete = JSON.readTree(client.next(Duration.ofSeconds(30)));
      assertEquals("complete", complete.get("type").asText());
      assertEquals(1000, client.closeCode(Duration.ofSeconds(30)));
    }
  }

  private static void awaitHealthy() throws IOException, InterruptedException {
    Http http = new Http(base);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!tomcat.isAlive()) {
        throw new AssertionError("Tomcat exited during start-up:\n" + logTail());
      }
      try {
        if (http.get("health").status() == 200) {
          return;
        }
      } catch (RuntimeException notYet) {
        // connection refused while Tomcat starts
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "the WAR did not become healthy in " + START_TIMEOUT + ":\n" + logTail());
  }

  private static String logTail() throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
