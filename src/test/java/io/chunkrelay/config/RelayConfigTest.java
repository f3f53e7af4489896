package io.chunkrelay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelayConfigTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef-secret";

  private static Map<String, String> minimal() {
    Map<String, String> settings = new HashMap<>();
    settings.put("CHUNK_RELAY_DB_URL", "jdbc:postgresql://127.0.0.1:5432/chunkrelay");
    settings.put("CHUNK_RELAY_JWT_SECRET", SECRET);
    return settings;
  }

  @Test
  void defaultsApplyWhenOnlyTheDatabaseIsGiven() {
    RelayConfig config = RelayConfig.load(SettingSource.of(minimal()));
    assertEquals(RelayConfig.DEFAULT_HTTP_PORT, config.httpPort());
    assertEquals(RelayConfig.DEFAULT_REDIS_URL, config.redis().url().toString());
    assertEquals(RelayConfig.DEFAULT_REDIS_CHANNEL_PREFIX, config.redis().channelPrefix());
    assertEquals(RelayConfig.Limits.defaults(), config.limits());
    assertTrue(config.nodeId().endsWith(":8080"), config.nodeId());
    assertEquals(false, config.demo().enabled(), "a deployed WAR has no demo producer by default");
  }

  @Test
  void theEmbeddedRunListensOnLoopbackWhileTheDemoRunsAndEverywhereOtherwise() {
    Map<String, String> demo = minimal();
    demo.put("CHUNK_RELAY_DEMO", "true");
    assertEquals("127.0.0.1", RelayConfig.load(SettingSource.of(demo)).httpAddress());
    assertEquals("0.0.0.0", RelayConfig.load(SettingSource.of(minimal())).httpAddress());
    demo.put("CHUNK_RELAY_HTTP_ADDRESS", "::");
    assertEquals("::", RelayConfig.load(SettingSource.of(demo)).httpAddress());
    for (String bad : new String[] {"example.com", "300.1.1.1", "127.0.0.1:8080x", "1:2:3:x::"}) {
      Map<String, String> settings = minimal();
      settings.put("CHUNK_RELAY_HTTP_ADDRESS", bad);
      ConfigException refused =
          assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
      assertTrue(refused.getMessage().contains("CHUNK_RELAY_HTTP_ADDRESS"), refused.getMessage());
    }
  }

  @Test
  void theDemoIsSwitchedOnByName() {
    Map<String, String> settings = minimal();
    settings.put("CHUNK_RELAY_DEMO", "true");
    settings.put("CHUNK_RELAY_DEMO_WORD_MILLIS", "25");
    RelayConfig config = RelayConfig.load(SettingSource.of(settings));
    assertEquals(new RelayConfig.DemoSettings(true, 25, 20), config.demo());
  }

  @Test
  void missingDatabaseIsRefusedNamingTheSetting() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(Map.of())));
    assertTrue(e.getMessage().startsWith("CHUNK_RELAY_DB_URL"), e.getMessage());
  }

  @Test
  void everyBadValueIsRefusedNamingItsSetting() {
    Map<String, String> bad =
        Map.ofEntries(
            Map.entry("CHUNK_RELAY_HTTP_PORT", "eighty"),
            Map.entry("CHUNK_RELAY_MAX_CHUNK_BYTES", "0"),
            Map.entry("CHUNK_RELAY_MAX_BATCH_CHUNKS", "-5"),
            Map.entry("CHUNK_RELAY_MAX_REQUEST_BYTES", "12"),
            Map.entry("CHUNK_RELAY_MAX_PAGE_CHUNKS", "1e3"),
            Map.entry("CHUNK_RELAY_MAX_STREAM_ID_CHARS", "129"),
            Map.entry("CHUNK_RELAY_DB_POOL_SIZE", "0"),
            Map.entry("CHUNK_RELAY_REDIS_URL", "http://localhost:6379"),
            Map.entry("CHUNK_RELAY_DB_URL", "jdbc:mysql://localhost/x"),
            Map.entry("CHUNK_RELAY_DELIVERY_POLL_MILLIS", "1"),
            Map.entry("CHUNK_RELAY_MAX_QUEUED_FRAMES", "2"),
            Map.entry("CHUNK_RELAY_REDIS_CHANNEL_PREFIX", "has space"),
            Map.entry("CHUNK_RELAY_DEMO", "maybe"),
            Map.entry("CHUNK_RELAY_DB_MIGRATE", "sometimes"),
            Map.entry("CHUNK_RELAY_DEMO_WORD_MILLIS", "0"),
            Map.entry("CHUNK_RELAY_DEMO_MAX_REPLIES", "many"),
            Map.entry("CHUNK_RELAY_AUTH", "maybe"),
            Map.entry("CHUNK_RELAY_JWT_CLOCK_SKEW_SECONDS", "3600"),
            Map.entry("CHUNK_RELAY_JWT_JWKS_URL", "ftp://id.example.com/jwks"),
            Map.entry("CHUNK_RELAY_ALLOWED_ORIGINS", "*"));
    for (Map.Entry<String, String> setting : bad.entrySet()) {
      Map<String, String> settings = minimal();
      settings.put(setting.getKey(), setting.getValue());
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> RelayConfig.load(SettingSource.of(settings)),
              setting.getKey() + "=" + setting.getValue());
      assertTrue(
          e.getMessage().startsWith(setting.getKey())
              && e.getMessage().contains(setting.getValue()),
          e.getMessage());
    }
  }

  @Test
  void aContainerDataSourceReplacesTheJdbcUrl() {
    RelayConfig config =
        RelayConfig.load(
            SettingSource.of(
                Map.of(
                    "CHUNK_RELAY_DB_DATASOURCE",
                    "java:comp/env/jdbc/chunkrelay",
                    "CHUNK_RELAY_AUTH",
                    "none")));
    assertEquals("DataSource java:comp/env/jdbc/chunkrelay", config.database().toString());
  }

  @Test
  void aStartUpMigrationAsTheOwnerNeedsAUrlAndIsOffByDefault() {
    assertTrue(!RelayConfig.load(SettingSource.of(minimal())).database().migrateOnStart());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                RelayConfig.load(
                    SettingSource.of(
                        Map.of(
                            "CHUNK_RELAY_DB_DATASOURCE",
                            "java:comp/env/jdbc/chunkrelay",
                            "CHUNK_RELAY_DB_MIGRATE_USER",
                            "chunk_relay_owner",
                            "CHUNK_RELAY_AUTH",
                            "none"))));
    assertTrue(
        e.getMessage().startsWith("CHUNK_RELAY_DB_MIGRATE_USER")
            && e.getMessage().contains("CHUNK_RELAY_DB_URL"),
        e.getMessage());
    Map<String, String> settings = minimal();
    settings.put("CHUNK_RELAY_DB_MIGRATE", "true");
    settings.put("CHUNK_RELAY_DB_MIGRATE_USER", "chunk_relay_owner");
    settings.put("CHUNK_RELAY_DB_MIGRATE_PASSWORD", "0wner-s3cret");
    RelayConfig config = RelayConfig.load(SettingSource.of(settings));
    assertTrue(config.database().migrateOnStart());
    assertEquals(java.util.Optional.of("chunk_relay_owner"), config.database().migrateUser());
    assertTrue(!config.toString().contains("0wner-s3cret"), "the owner's password leaked");
  }

  @Test
  void thePasswordNeverAppearsInTheDescription() {
    Map<String, String> settings = minimal();
    settings.put("CHUNK_RELAY_DB_PASSWORD", "s3cret");
    settings.put("CHUNK_RELAY_REDIS_URL", "rediss://relay:r3dis-s3cret@redis.example:6380");
    String description = RelayConfig.load(SettingSource.of(settings)).toString();
    assertTrue(!description.contains("s3cret"), "password leaked into toString");
    assertTrue(!description.contains(SECRET), "JWT secret leaked into toString");
    assertTrue(!description.contains("r3dis-s3cret"), "Redis password leaked into toString");
    assertTrue(description.contains("rediss://***@redis.example:6380"), description);
  }

  @Test
  void aRedisCaIsRefusedWithoutTlsOrWithoutACertificateNamingTheSetting() {
    Map<String, String> plain = minimal();
    plain.put(
        "CHUNK_RELAY_REDIS_TLS_CA", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----");
    ConfigException noTls =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(plain)));
    assertTrue(noTls.getMessage().contains("CHUNK_RELAY_REDIS_TLS_CA"), noTls.getMessage());
    assertTrue(noTls.getMessage().contains("rediss://"), noTls.getMessage());
    for (String bad :
        new String[] {
          "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----", "/no/such/ca.pem"
        }) {
      Map<String, String> settings = minimal();
      settings.put("CHUNK_RELAY_REDIS_URL", "rediss://redis.example:6380");
      settings.put("CHUNK_RELAY_REDIS_TLS_CA", bad);
      ConfigException refused =
          assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
      assertTrue(refused.getMessage().contains("CHUNK_RELAY_REDIS_TLS_CA"), refused.getMessage());
    }
  }

  @Test
  void aDeployedNodeNeedsAKeyUnlessToldToServeEveryone() {
    Map<String, String> settings = minimal();
    settings.remove("CHUNK_RELAY_JWT_SECRET");
    ConfigException refused =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
    for (String named :
        new String[] {
          "CHUNK_RELAY_AUTH",
          "CHUNK_RELAY_JWT_SECRET",
          "CHUNK_RELAY_JWT_PUBLIC_KEY",
          "CHUNK_RELAY_JWT_JWKS_URL"
        }) {
      assertTrue(refused.getMessage().contains(named), refused.getMessage());
    }
    settings.put("CHUNK_RELAY_AUTH", "none");
    assertEquals(
        AuthSettings.Mode.NONE, RelayConfig.load(SettingSource.of(settings)).auth().mode());
    assertEquals(
        AuthSettings.Mode.JWT, RelayConfig.load(SettingSource.of(minimal())).auth().mode());
  }

  @Test
  void aShortSecretIsRefusedWithoutEchoingIt() {
    Map<String, String> settings = minimal();
    settings.put("CHUNK_RELAY_JWT_SECRET", "short-secret-31-bytes-long-xxxx");
    ConfigException refused =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
    assertTrue(refused.getMessage().startsWith("CHUNK_RELAY_JWT_SECRET"), refused.getMessage());
    assertTrue(!refused.getMessage().contains("short-secret"), refused.getMessage());
  }

  @Test
  void theFanOutKeyIsTheOneGivenOrTheJwtSecretOrNoneForTheGeneratedOne() {
    Map<String, String> settings = minimal();
    assertEquals(
        java.util.Optional.of(SECRET),
        RelayConfig.load(SettingSource.of(settings)).redis().fanoutKey());
    settings.remove("CHUNK_RELAY_JWT_SECRET");
    settings.put("CHUNK_RELAY_JWT_JWKS_URL", "https://id.example.com/jwks");
    assertTrue(
        RelayConfig.load(SettingSource.of(settings)).redis().fanoutKey().isEmpty(),
        "the node then uses the key its deployment generated in PostgreSQL");
    settings.put("CHUNK_RELAY_FANOUT_KEY", "short");
    ConfigException refused =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
    assertTrue(refused.getMessage().startsWith("CHUNK_RELAY_FANOUT_KEY"), refused.getMessage());
    settings.put("CHUNK_RELAY_FANOUT_KEY", SECRET);
    RelayConfig config = RelayConfig.load(SettingSource.of(settings));
    assertTrue(!config.toString().contains(SECRET), "the fan-out key leaked into toString");
  }

  @Test
  void retentionIsForeverUnlessSetAndKeysLastAWeekAtMostTheRetention() {
    RelayConfig.RetentionSettings defaults =
        RelayConfig.load(SettingSource.of(minimal())).retention();
    assertEquals(null, defaults.retentionDays());
    assertEquals(7, defaults.keyTtlDays());
    assertEquals(60, defaults.intervalMinutes());
    for (Map.Entry<String, Integer> written :
        Map.of("30d", 30, "30", 30, "P30D", 30, "p2d", 2).entrySet()) {
      Map<String, String> settings = new HashMap<>(minimal());
      settings.put("CHUNK_RELAY_RETENTION", written.getKey());
      RelayConfig.RetentionSettings read = RelayConfig.load(SettingSource.of(settings)).retention();
      assertEquals(written.getValue(), read.retentionDays(), written.getKey());
      assertEquals(
          Math.min(7, written.getValue()),
          read.keyTtlDays(),
          "the key TTL follows a shorter retention");
    }
    Map<String, String> forever = new HashMap<>(minimal());
    forever.put("CHUNK_RELAY_RETENTION", "forever");
    forever.put("CHUNK_RELAY_KEY_TTL", "1d");
    RelayConfig.RetentionSettings kept = RelayConfig.load(SettingSource.of(forever)).retention();
    assertEquals(null, kept.retentionDays());
    assertEquals(1, kept.keyTtlDays());
  }

  @Test
  void aBadRetentionNamesItsSetting() {
    for (Map.Entry<String, String> bad :
        Map.of(
                "CHUNK_RELAY_RETENTION", "0d",
                "CHUNK_RELAY_KEY_TTL", "forever",
                "CHUNK_RELAY_RETENTION_INTERVAL_MINUTES", "0")
            .entrySet()) {
      Map<String, String> settings = new HashMap<>(minimal());
      settings.put(bad.getKey(), bad.getValue());
      ConfigException refused =
          assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
      assertTrue(refused.getMessage().contains(bad.getKey()), refused.getMessage());
    }
    for (String bad : List.of("1w", "30 days", "-3", "P1M", "d")) {
      Map<String, String> settings = new HashMap<>(minimal());
      settings.put("CHUNK_RELAY_RETENTION", bad);
      ConfigException refused =
          assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(settings)));
      assertTrue(
          refused.getMessage().startsWith("CHUNK_RELAY_RETENTION must be"), refused.getMessage());
    }
    Map<String, String> longer = new HashMap<>(minimal());
    longer.put("CHUNK_RELAY_RETENTION", "3d");
    longer.put("CHUNK_RELAY_KEY_TTL", "4d");
    ConfigException refused =
        assertThrows(ConfigException.class, () -> RelayConfig.load(SettingSource.of(longer)));
    assertTrue(refused.getMessage().startsWith("CHUNK_RELAY_KEY_TTL"), refused.getMessage());
  }
}
