package io.chunkrelay.it.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jboss.shrinkwrap.api.Filters;
import org.jboss.shrinkwrap.api.GenericArchive;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ExplodedImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.jboss.shrinkwrap.resolver.api.maven.Maven;

/**
 * The Chunk Relay WAR as Arquillian deploys it: every production package, the Tyrus writer
 * replacement, the runtime libraries from pom.xml, the Flyway migrations and the web resources.
 */
public final class Deployments {
  /** Test classes, test support and the launcher (which is not part of the WAR) stay out. */
  private static final String NOT_IN_WAR =
      ".*(/io/chunkrelay/it/|/io/chunkrelay/testing/|/io/chunkrelay/launch/"
          + "|Test\\.class|Test\\$|IT\\.class|IT\\$).*";

  private Deployments() {}

  /**
   * The WAR with the test-only {@link PausingHooks} installed (the way only a test build can: a
   * service file in the archive), their control servlet and the naive endpoint.
   */
  public static WebArchive warWithPausingHooks() {
    return war(PausingHooks.class, HooksServlet.class, NaiveEndpoint.class)
        .addAsServiceProvider(io.chunkrelay.delivery.DeliveryHooks.class, PausingHooks.class);
  }

  /** The WAR, plus any test-only classes (extra endpoints) the caller adds; no authentication. */
  public static WebArchive war(Class<?>... testOnlyClasses) {
    TestServices.configureInProcessNode(false, java.util.Map.of());
    return archive(testOnlyClasses);
  }

  /** The WAR as a deployed node runs it: {@code CHUNK_RELAY_AUTH=jwt} with the test secret. */
  public static WebArchive securedWar() {
    return securedWar(java.util.Map.of());
  }

  /** As {@link #securedWar()}, with {@code settings} (limits, say) on top. */
  public static WebArchive securedWar(java.util.Map<String, String> settings) {
    TestServices.configureInProcessNode(true, settings);
    return archive();
  }

  /**
   * The WAR's own classes in Tyrus's servlet package (the writer stand-in and its helpers), each
   * file of {@code src/main/java/org/glassfish/tyrus/servlet}: loaded by the web application like
   * the rest of it, they may use each other's package-private members.
   */
  private static Class<?>[] tyrusStandIns() {
    Path sources = Path.of("src/main/java/org/glassfish/tyrus/servlet");
    try (java.util.stream.Stream<Path> files = Files.list(sources)) {
      List<Class<?>> classes = new ArrayList<>();
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        String simple = file.getFileName().toString().replaceFirst("\\.java$", "");
        classes.add(Class.forName("org.glassfish.tyrus.servlet." + simple));
      }
      return classes.toArray(Class<?>[]::new);
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot list the WAR's classes in " + sources, e);
    }
  }

  private static WebArchive archive(Class<?>... testOnlyClasses) {
    WebArchive war =
        ShrinkWrap.create(WebArchive.class, "chunk-relay.war")
            .addPackages(true, Filters.exclude(NOT_IN_WAR), "io.chunkrelay")
            .addClasses(tyrusStandIns())
            .addAsLibraries(
                Maven.resolver()
                    .loadPomFromFile("pom.xml")
                    .importCompileAndRuntimeDependencies()
                    .resolve()
                    .withTransitivity()
                    .asFile())
            .addAsResource(new File("db/migration"), "db/migration")
            .addClasses(testOnlyClasses);
    war.merge(
        ShrinkWrap.create(GenericArchive.class)
            .as(ExplodedImporter.class)
            .importDirectory("src/main/webapp")
            .as(GenericArchive.class),
        "/",
        Filters.includeAll());
    return war;
  }
}
