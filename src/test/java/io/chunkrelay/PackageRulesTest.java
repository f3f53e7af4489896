package io.chunkrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The import rules of the code base: the Servlet and WebSocket APIs stay at the container edge, and
 * every other arrow points toward the chunk log. A package may use only the packages listed for it
 * below; the table is the package map of docs/ARCHITECTURE.md.
 */
class PackageRulesTest {
  private static final String ROOT = "io.chunkrelay.";

  /** Each package and the project packages it may use (besides itself). */
  private static final Map<String, Set<String>> MAY_USE = new LinkedHashMap<>();

  static {
    MAY_USE.put("config", Set.of());
    MAY_USE.put("metrics", Set.of());
    MAY_USE.put("client", Set.of());
    MAY_USE.put("threads", Set.of());
    MAY_USE.put("logs", Set.of());
    MAY_USE.put("chunk", Set.of());
    MAY_USE.put("store", Set.of("chunk", "metrics", "threads"));
    MAY_USE.put("wire", Set.of("chunk"));
    MAY_USE.put("auth", Set.of("config", "wire"));
    MAY_USE.put("guard", Set.of("config", "metrics"));
    MAY_USE.put(
        "delivery", Set.of("chunk", "store", "wire", "config", "metrics", "threads", "logs"));
    MAY_USE.put("fanout", Set.of("delivery", "wire", "chunk", "config", "metrics", "logs"));
    MAY_USE.put("outbox", Set.of("fanout", "chunk", "store", "metrics"));
    MAY_USE.put("demo", Set.of("client", "config", "auth"));
    MAY_USE.put(
        "app",
        Set.of(
            "config",
            "metrics",
            "chunk",
            "store",
            "delivery",
            "fanout",
            "outbox",
            "demo",
            "wire",
            "auth",
            "guard",
            "threads",
            "logs"));
    MAY_USE.put(
        "web",
        Set.of(
            "app",
            "config",
            "metrics",
            "chunk",
            "store",
            "wire",
            "delivery",
            "demo",
            "auth",
            "guard",
            "logs"));
    MAY_USE.put("launch", Set.of("config", "logs", "wire", "store"));
  }

  /** Each role of the web edge and the roles it may use (the wiring in web itself uses all). */
  private static final Map<String, Set<String>> WEB_ROLES = new LinkedHashMap<>();

  static {
    WEB_ROLES.put("http", Set.of());
    WEB_ROLES.put("edge", Set.of("http"));
    WEB_ROLES.put("api", Set.of("http", "edge"));
    WEB_ROLES.put("socket", Set.of("edge"));
    WEB_ROLES.put("ops", Set.of());
    WEB_ROLES.put("demo", Set.of("http", "api", "edge"));
  }

  private static final JavaClasses PRODUCT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.chunkrelay", "org.glassfish.tyrus.servlet");

  @Test
  void onlyTheWebEdgeImportsTheServletAndWebSocketApis() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT + "web..", ROOT + "launch..", "org.glassfish.tyrus.servlet..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("jakarta.servlet..", "jakarta.websocket..")
        .because("the container edge is io.chunkrelay.web (and the launcher, and Tyrus's writer)")
        .check(PRODUCT);
  }

  @Test
  void everyPackageUsesOnlyThePackagesBelowIt() {
    for (Map.Entry<String, Set<String>> entry : MAY_USE.entrySet()) {
      Set<String> forbidden = new TreeSet<>(MAY_USE.keySet());
      forbidden.remove(entry.getKey());
      forbidden.removeAll(entry.getValue());
      if (forbidden.isEmpty()) {
        continue;
      }
      noClasses()
          .that()
          .resideInAPackage(ROOT + entry.getKey() + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(forbidden.stream().map(p -> ROOT + p + "..").toArray(String[]::new))
          .because(entry.getKey() + " may use only " + entry.getValue())
          .check(PRODUCT);
    }
  }

  @Test
  void everyWebRoleUsesOnlyTheRolesBelowIt() {
    for (Map.Entry<String, Set<String>> entry : WEB_ROLES.entrySet()) {
      Set<String> forbidden = new TreeSet<>(WEB_ROLES.keySet());
      forbidden.remove(entry.getKey());
      forbidden.removeAll(entry.getValue());
      noClasses()
          .that()
          .resideInAPackage(ROOT + "web." + entry.getKey() + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              java.util.stream.Stream.concat(
                      forbidden.stream().map(p -> ROOT + "web." + p + ".."),
                      java.util.stream.Stream.of(ROOT + "web"))
                  .toArray(String[]::new))
          .because("web." + entry.getKey() + " may use only " + entry.getValue())
          .check(PRODUCT);
    }
  }

  @Test
  void everyWebClassBelongsToARole() {
    Set<String> unknown = new TreeSet<>();
    PRODUCT.stream()
        .filter(c -> c.getPackageName().startsWith(ROOT + "web."))
        .map(c -> c.getPackageName().substring((ROOT + "web.").length()).split("\\.")[0])
        .filter(role -> !WEB_ROLES.containsKey(role))
        .forEach(unknown::add);
    org.junit.jupiter.api.Assertions.assertEquals(
        Set.of(), unknown, "web packages without import rules: add them to WEB_ROLES");
  }

  @Test
  void everyProductPackageIsInTheTable() {
    Set<String> unknown = new TreeSet<>();
    PRODUCT.stream()
        .map(c -> c.getPackageName())
        .filter(p -> p.startsWith(ROOT))
        .map(p -> p.substring(ROOT.length()).split("\\.")[0])
        .filter(p -> !MAY_USE.containsKey(p))
        .forEach(unknown::add);
    org.junit.jupiter.api.Assertions.assertEquals(
        Set.of(), unknown, "packages without import rules: add them to MAY_USE");
  }
}
