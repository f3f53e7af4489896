package io.chunkrelay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServedHostsTest {
  private static ServedHosts read(String allowed) {
    Map<String, String> settings = new HashMap<>();
    settings.put("CHUNK_RELAY_DB_URL", "jdbc:postgresql://127.0.0.1:5432/chunkrelay");
    settings.put("CHUNK_RELAY_AUTH", "none");
    if (allowed != null) {
      settings.put("CHUNK_RELAY_ALLOWED_HOSTS", allowed);
    }
    return RelayConfig.load(SettingSource.of(settings)).hosts();
  }

  @Test
  void withNothingConfiguredOnlyLocalhostAndAddressLiteralsAreServed() {
    ServedHosts hosts = read(null);
    for (String served :
        List.of(
            "localhost",
            "localhost:8080",
            "LOCALHOST:18190",
            "127.0.0.1",
            "127.0.0.1:8080",
            "10.1.2.3:443",
            "[::1]",
            "[::1]:8080",
            "[fe80::1%25eth0]:80")) {
      assertTrue(hosts.serves(Optional.of(served)), served);
    }
    for (String refused :
        List.of(
            "rebind.attacker.test:18190",
            "rebind.attacker.test",
            "127.0.0.1.nip.io",
            "localhost.attacker.test",
            "localhost.",
            "attacker-localhost",
            "999.1.1.1",
            "1.2.3",
            "[::1",
            "localhost:8080:80",
            "localhost:abc",
            "")) {
      assertFalse(hosts.serves(Optional.of(refused)), refused);
    }
    assertTrue(hosts.serves(Optional.empty()), "HTTP/1.0 without a Host comes from no browser");
  }

  @Test
  void configuredNamesAndWildcardsAreServedAndNothingElse() {
    ServedHosts hosts = read(" Relay.Example.com ,*.internal.example ");
    assertEquals(List.of("relay.example.com", "*.internal.example"), hosts.names());
    assertTrue(hosts.serves(Optional.of("relay.example.com")));
    assertTrue(hosts.serves(Optional.of("RELAY.example.com:443")));
    assertTrue(hosts.serves(Optional.of("node-1.internal.example:8080")));
    assertTrue(hosts.serves(Optional.of("a.b.internal.example")));
    assertFalse(
        hosts.serves(Optional.of("internal.example")), "the wildcard is for names under it");
    assertFalse(hosts.serves(Optional.of("evilinternal.example")));
    assertFalse(hosts.serves(Optional.of("relay.example.com.attacker.test")));
    assertFalse(hosts.serves(Optional.of("example.com")));
  }

  @Test
  void aBadListIsRefusedNamingTheSetting() {
    for (String bad :
        List.of("relay.example.com:8080", "https://relay.example.com", "*", "a*.b", "a b")) {
      ConfigException refused = assertThrows(ConfigException.class, () -> read(bad));
      assertTrue(refused.getMessage().contains("CHUNK_RELAY_ALLOWED_HOSTS"), refused.getMessage());
    }
  }
}
