package io.chunkrelay.it.support;

import static org.awaitility.Awaitility.await;

import io.chunkrelay.launch.LocalServices;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The embedded run as README starts it ({@code java -jar target/chunk-relay.jar}), in a process of
 * its own, against this run's PostgreSQL and Redis (its channels only), with demo replies a hundred
 * times faster than a person reads. Its console goes to {@code target/<name>.log}.
 */
public final class EmbeddedRun implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path log;

  private EmbeddedRun(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts a run on a free port with {@code extra} settings and waits until it serves. */
  public static EmbeddedRun started(String name, Map<String, String> extra) throws IOException {
    EmbeddedRun run = launch(name, LocalServices.freePort(), extra);
    run.awaitStarted(name);
    return run;
  }

  /** Starts a run on {@code port} without waiting for it. */
  public static EmbeddedRun launch(String name, int port, Map<String, String> extra)
      throws IOException {
    TestServices.Database db = TestServices.database();
    Map<String, String> settings = new java.util.HashMap<>();
    settings.putAll(db.nodeSettings());
    settings.putAll(extra);
    return launchWith(name, port, settings);
  }

  /**
   * Starts a run with the embedded PostgreSQL (data in {@code target/<name>-data}) and waits until
   * it serves. The run takes a local server only for a user it lets in; this one names a role no
   * server has, so a machine with a local PostgreSQL falls back to the embedded one too.
   */
  public static EmbeddedRun withEmbeddedPostgres(String name) throws IOException {
    // A fresh cluster each time: nothing of an earlier run is found in it.
    TomcatNode.deleteRecursively(Path.of("target", name + "-data"));
    EmbeddedRun run =
        launchWith(
            name,
            LocalServices.freePort(),
            Map.of(
                "CHUNK_RELAY_DB_USER",
                "chunk_relay_no_such_role_" + ProcessHandle.current().pid()));
    run.awaitStarted(name);
    return run;
  }

  private void awaitStarted(String name) {
    await(name + "'s start")
        .atMost(Duration.ofSeconds(180))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(name + " did not start:\n" + tail());
              }
              return said("Stop with Ctrl+C.");
            });
  }

  private static EmbeddedRun launchWith(String name, int port, Map<String, String> settings)
      throws IOException {
    Path log = Path.of("target", name + ".log").toAbsolutePath();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                Path.of("target", "chunk-relay.jar").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(key -> key.startsWith("CHUNK_RELAY_"));
    env.put("CHUNK_RELAY_HTTP_PORT", Integer.toString(port));
    env.put("CHUNK_RELAY_DATA_DIR", Path.of("target", name + "-data").toString());
    env.put("CHUNK_RELAY_REDIS_URL", TestServices.redisUrl());
    env.put("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", TestServices.channelPrefix());
    env.put("CHUNK_RELAY_NODE_ID", name);
    env.put("CHUNK_RELAY_DEMO_WORD_MILLIS", "5"); // a demo reply in a second or two
    env.putAll(settings);
    return new EmbeddedRun(builder.start(), port, log);
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:<port>/}. */
  public URI base() {
    return URI.create("http://127.0.0.1:" + port + "/");
  }

  public Process process() {
    return process;
  }

  /** Whether the console holds {@code text} so far. */
  public boolean said(String text) throws IOException {
    return Files.exists(log) && Files.readString(log).contains(text);
  }

  /** The whole console so far. */
  public String console() throws IOException {
    return Files.readString(log);
  }

  /** What the run logged after its start-up banner: its work and its stop. */
  public String afterStart() throws IOException {
    String console = console();
    return console.substring(console.indexOf("Stop with Ctrl+C."));
  }

  /** The console's last 4,000 characters, for failure messages. */
  public String tail() {
    try {
      String text = Files.readString(log);
      return text.substring(Math.max(0, text.length() - 4000));
    } catch (IOException e) {
      return "(no console: " + e + ")";
    }
  }

  /** Stops the run as Ctrl+C would (SIGTERM), forcibly if it has not ended after 30 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
