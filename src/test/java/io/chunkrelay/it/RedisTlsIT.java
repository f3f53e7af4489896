package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkrelay.config.RedisSettings;
import io.chunkrelay.config.RelayConfig;
import io.chunkrelay.config.SettingSource;
import io.chunkrelay.it.support.RedisRoundTrip;
import io.chunkrelay.launch.LocalServices;
import io.chunkrelay.testing.Await;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Redis that speaks only TLS (Debian's {@code redis-server} with a {@code tls-port}, its
 * certificate made by {@code openssl} for 127.0.0.1 and localhost): the node's publisher and
 * subscriber reach it through {@code rediss://} trusting {@code CHUNK_RELAY_REDIS_TLS_CA}, and
 * refuse a server they do not trust or whose certificate is for another name.
 */
class RedisTlsIT {
  private static final String KEY = "cluster-key-of-at-least-thirty-two-bytes";
  private static Path dir;
  private static Process redis;
  private static int port;

  @BeforeAll
  static void startRedisWithTls() throws Exception {
    dir = Files.createTempDirectory("redis-tls");
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        dir.resolve("key.pem").toString(),
        "-out",
        dir.resolve("cert.pem").toString());
    port = LocalServices.freePort();
    // 127.0.0.2 is loopback too, but not a name the certificate was made for.
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                "0",
                "--tls-port",
                Integer.toString(port),
                "--tls-cert-file",
                dir.resolve("cert.pem").toString(),
                "--tls-key-file",
                dir.resolve("key.pem").toString(),
                "--tls-auth-clients",
                "no",
                "--bind",
                "127.0.0.1",
                "127.0.0.2",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    Await.until(RedisTlsIT::listening, Duration.ofSeconds(10));
  }

  @AfterAll
  static void stopRedis() throws Exception {
    if (redis != null) {
      redis.destroy();
      redis.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theNodeSpeaksTlsToRedisTrustingTheGivenCertificate() throws Exception {
    RedisSettings settings = settings("127.0.0.1", true);
    assertEquals(1, settings.tlsTrust().size());
    assertTrue(RedisRoundTrip.heard(settings, "over tls").contains("over tls"));
  }

  @Test
  void aServerWhoseCertificateIsForAnotherNameIsRefused() {
    assertRefused(settings("127.0.0.2", true));
  }

  @Test
  void aServerTheJvmDoesNotTrustIsRefusedWithoutTheCaSetting() {
    assertRefused(settings("127.0.0.1", false));
  }

  private static void assertRefused(RedisSettings settings) {
    RedisRoundTrip.Published published = RedisRoundTrip.publish(settings);
    assertFalse(published.accepted());
    assertEquals(1, published.metrics().value("chunk_relay_publish_failures_total"));
  }

  /** The Redis settings as a node reads them, for {@code host}, trusting the test CA or not. */
  private static RedisSettings settings(String host, boolean trustTheCa) {
    Map<String, String> values = new HashMap<>();
    values.put("CHUNK_RELAY_DB_URL", "jdbc:postgresql://127.0.0.1:5432/unused");
    values.put("CHUNK_RELAY_AUTH", "none");
    values.put("CHUNK_RELAY_FANOUT_KEY", KEY);
    values.put("CHUNK_RELAY_REDIS_URL", "rediss://" + host + ":" + port);
    values.put("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", "chunk-relay-tls:");
    if (trustTheCa) {
      values.put("CHUNK_RELAY_REDIS_TLS_CA", dir.resolve("cert.pem").toString());
    }
    return RelayConfig.load(SettingSource.of(values)).redis();
  }

  private static boolean listening() {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  private static void run(String... command) throws Exception {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
    assertEquals(0, process.exitValue(), String.join(" ", command));
  }
}
