package io.chunkrelay.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's Java example compiles as written, against the client classes and Jackson alone (what its
 * dependency coordinates bring), so a reader can paste it.
 */
class ReadmeExampleTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

  @Test
  void theJavaExampleInTheReadmeCompilesAgainstTheClientJarsClasses(@TempDir Path dir)
      throws Exception {
    String example = null;
    Matcher blocks = JAVA_BLOCK.matcher(Files.readString(Path.of("README.md")));
    while (blocks.find()) {
      if (blocks.group(1).contains("public class ")) {
        example = blocks.group(1);
      }
    }
    assertNotNull(example, "README has a complete Java class example");
    Matcher name = Pattern.compile("public class (\\w+)").matcher(example);
    assertTrue(name.find());
    Path source = dir.resolve(name.group(1) + ".java");
    Files.writeString(source, example);

    String classPath = location(ChunkRelayClient.class) + File.pathSeparator + jacksonJars();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter errors = new StringWriter();
    int status =
        javac
                .getTask(
                    errors,
                    null,
                    null,
                    List.of("-classpath", classPath, "-d", dir.toString(), "-proc:none"),
                    null,
                    javac.getStandardFileManager(null, null, null).getJavaFileObjects(source))
                .call()
            ? 0
            : 1;
    assertEquals(0, status, "README's Java example does not compile:\n" + errors);
  }

  /** jackson-databind and what it brings (annotations, core). */
  private static String jacksonJars() throws URISyntaxException {
    return String.join(
        File.pathSeparator,
        location(ObjectMapper.class),
        location(com.fasterxml.jackson.core.JsonFactory.class),
        location(com.fasterxml.jackson.annotation.JsonProperty.class));
  }

  private static String location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
