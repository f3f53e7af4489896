package org.glassfish.tyrus.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Chunk Relay ships its own {@code TyrusServletWriter} in place of Tyrus 2.2.0's (see that class's
 * Javadoc). These checks fail as soon as the Tyrus servlet container jar is not the one that
 * replacement was written and reviewed against, so a Tyrus upgrade forces a fresh look: is the
 * original fixed (then delete the replacement), or does the replacement still fit the classes
 * around it?
 */
class TyrusServletWriterGuardTest {
  private static final String REVIEWED_VERSION = "2.2.0";

  /** SHA-256 of the classes the replacement stands in for or is called by, in Tyrus 2.2.0. */
  private static final Map<String, String> REVIEWED_CLASSES =
      Map.of(
          "org/glassfish/tyrus/servlet/TyrusServletWriter.class",
          "fc86049962a035881d36ca9ed42ba59207990ad2999db5466b3345fb291354af",
          "org/glassfish/tyrus/servlet/TyrusHttpUpgradeHandler.class",
          "d6f012c691b3d802f8d72da01c384f34eaf5570595b6d71b1612799b7d110ae0",
          "org/glassfish/tyrus/servlet/TyrusServletUpgrade.class",
          "ebefc9c1bb3bd3ac9323a3a2e2bdd86071c91f795ef420d7dc8abebd69e8e478");

  @Test
  void tyrusServletJarIsTheVersionTheReplacementWasReviewedAgainst() throws Exception {
    try (JarFile jar = tyrusServletJar()) {
      Properties pom = new Properties();
      try (InputStream in =
          jar.getInputStream(
              jar.getEntry(
                  "META-INF/maven/org.glassfish.tyrus/tyrus-container-servlet/pom.properties"))) {
        pom.load(in);
      }
      assertEquals(
          REVIEWED_VERSION,
          pom.getProperty("version"),
          "Tyrus was upgraded: re-review src/main/java/org/glassfish/tyrus/servlet/TyrusServletWriter.java"
              + " against the new version, then update this test");
    }
  }

  @Test
  void tyrusClassesAroundTheWriterAreUnchanged() throws Exception {
    try (JarFile jar = tyrusServletJar()) {
      for (Map.Entry<String, String> reviewed : REVIEWED_CLASSES.entrySet()) {
        try (InputStream in = jar.getInputStream(jar.getEntry(reviewed.getKey()))) {
          assertEquals(
              reviewed.getValue(),
              sha256(in),
              reviewed.getKey()
                  + " changed in the Tyrus jar: re-review Chunk Relay's TyrusServletWriter");
        }
      }
    }
  }

  @Test
  void theReplacementShadowsTheJarsClass() throws Exception {
    Path loadedFrom =
        Path.of(
            TyrusServletWriter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path jar =
        Path.of(
            TyrusServletContainerInitializer.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
    assertTrue(
        !loadedFrom.equals(jar) && loadedFrom.endsWith(Path.of("target", "classes")),
        "TyrusServletWriter must come from the project's classes, not " + loadedFrom);
    assertTrue(
        TyrusServletWriter.CLOSE_DRAIN_TIMEOUT_SECONDS > 0,
        "the replacement (not Tyrus's class) is the one loaded");
  }

  private static JarFile tyrusServletJar() throws IOException, URISyntaxException {
    return new JarFile(
        Path.of(
                TyrusServletContainerInitializer.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI())
            .toFile());
  }

  private static String sha256(InputStream in) throws IOException, NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
  }
}
