package io.chunkrelay.it.support;

import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Chunk Relay node as an operator runs it: the built {@code target/chunk-relay.war}, unchanged,
 * in its own standalone Tomcat 11 process (the Maven Central distribution, a CATALINA_BASE of its
 * own), configured only through environment variables, pointed at this run's PostgreSQL and Redis.
 */
public final class TomcatNode implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final URI base;

  private TomcatNode(String name, Process process, Path log, URI base) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.base = base;
  }

  /** Starts a node of each name with default settings, then waits until all are healthy. */
  public static List<TomcatNode> startHealthy(String... names)
      throws IOException, InterruptedException {
    List<TomcatNode> nodes = new java.util.ArrayList<>();
    for (String name : names) {
      nodes.add(start(name, Map.of()));
    }
    for (TomcatNode node : nodes) {
      node.awaitHealthy(java.time.Duration.ofSeconds(120));
    }
    return nodes;
  }

  /** Starts a node (without waiting for it); {@code env} adds or overrides settings. */
  public static TomcatNode start(String name, Map<String, String> env) throws IOException {
    return start(name, env, LocalServices.freePort());
  }

  /** Starts a node on a given HTTP port, e.g. to restart a killed node where clients expect it. */
  public static TomcatNode start(String name, Map<String, String> env, int port)
      throws IOException {
    return start(name, env, port, Map.of());
  }

  /**
   * Starts a node as above, with {@code confFiles} (paths below CATALINA_BASE/conf and their
   * contents) written over the distribution's configuration: users, a context descriptor.
   */
  public static TomcatNode start(
      String name, Map<String, String> env, int port, Map<String, String> confFiles)
      throws IOException {
    return start(name, env, port, confFiles, true);
  }

  /**
   * Starts a node with {@code env} as its only settings (no test defaults: not this run's database,
   * Redis or auth mode) and {@code confFiles} as {@link #start(String, Map, int, Map)} takes them.
   */
  public static TomcatNode startAsConfigured(
      String name, Map<String, String> env, int port, Map<String, String> confFiles)
      throws IOException {
    return start(name, env, port, confFiles, false);
  }

  private static TomcatNode start(
      String name,
      Map<String, String> env,
      int port,
      Map<String, String> confFiles,
      boolean testDefaults)
      throws IOException {
    Path home = Path.of(System.getProperty("chunkrelay.test.tomcat"));
    Path war = Path.of(System.getProperty("chunkrelay.test.war"));
    if (!Files.isDirectory(home) || !Files.isRegularFile(war)) {
      throw new IllegalStateException(
          "need the Tomcat distribution at "
              + home
              + " and the WAR at "
              + war
              + ": run mvn verify");
    }
    Path catalinaBase = Path.of("target", "tomcat-" + name).toAbsolutePath();
    deleteRecursively(catalinaBase);
    for (String dir : List.of("conf", "webapps", "logs", "temp", "work")) {
      Files.createDirectories(catalinaBase.resolve(dir));
    }
    try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
      for (Path file : conf.filter(Files::isRegularFile).toList()) {
        Files.copy(file, catalinaBase.resolve("conf").resolve(file.getFileName()));
      }
    }
    Path serverXml = catalinaBase.resolve("conf/server.xml");
    Files.writeString(
        serverXml,
        Files.readString(serverXml)
            .replace("port=\"8005\"", "port=\"-1\"")
            .replace("port=\"8080\"", "port=\"" + port + "\""));
    for (Map.Entry<String, String> file : confFiles.entrySet()) {
      Path target = catalinaBase.resolve("conf").resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(
          target, file.getValue().replace("${test.catalina.base}", catalinaBase.toString()));
    }
    Files.copy(
        war, catalinaBase.resolve("webapps/chunk-relay.war"), StandardCopyOption.REPLACE_EXISTING);

    Path log = Path.of("target", "tomcat-" + name + ".log").toAbsolutePath();
    ProcessBuilder builder =
        new ProcessBuilder("sh", home.resolve("bin/catalina.sh").toString(), "run")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> environment = builder.environment();
    environment.put("CATALINA_HOME", home.toAbsolutePath().toString());
    environment.put("CATALINA_BASE", catalinaBase.toString());
    environment.put("JAVA_HOME", System.getProperty("java.home"));
    environment.put(
        "CATALINA_OPTS", "-Xmx512m " + System.getProperty("chunkrelay.test.node.jvm.options", ""));
    environment.keySet().removeIf(key -> key.startsWith("CHUNK_RELAY_"));
    if (testDefaults) {
      TestServices.Database db = TestServices.database();
      environment.putAll(db.nodeSettings());
      environment.put("CHUNK_RELAY_REDIS_URL", TestServices.redisUrl());
      environment.put("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", TestServices.channelPrefix());
      environment.put("CHUNK_RELAY_NODE_ID", name);
      // These nodes serve the delivery tests, which call without tokens; AuthIT covers jwt mode.
      environment.put("CHUNK_RELAY_AUTH", "none");
    }
    environment.putAll(env);
    URI base = URI.create("http://127.0.0.1:" + port + "/chunk-relay/");
    return new TomcatNode(name, builder.start(), log, base);
  }

  /** Waits until {@code /health} answers 200; fails at once if the node's process ends. */
  public TomcatNode awaitHealthy(Duration timeout) {
    Http http = new Http(base);
    await("node " + name + " healthy")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .ignoreException(java.io.UncheckedIOException.class)
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new AssertionError("node " + name + " exited during start-up:\n" + logTail());
              }
              try {
                return http.get("health").status() == 200;
              } catch (RuntimeException notYet) {
                return false; // connection refused while Tomcat starts
              }
            });
    return this;
  }

  public URI base() {
    return base;
  }

  public String name() {
    return name;
  }

  /** The node's whole console log so far. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The last lines of the node's console log. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Kills the node's JVM abruptly (SIGKILL): no shutdown, no goodbye to its clients. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Stops the node as an operator would (SIGTERM, then Tomcat's orderly shutdown). */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Deletes {@code dir} and everything below it, if it exists. */
  static void deleteRecursively(Path dir) throws IOException {
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
