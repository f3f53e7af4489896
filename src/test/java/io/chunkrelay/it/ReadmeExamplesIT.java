package io.chunkrelay.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.it.support.DemoBrowser;
import io.chunkrelay.it.support.EmbeddedRun;
import io.chunkrelay.it.support.Http;
import io.chunkrelay.it.support.OtherOriginPage;
import io.chunkrelay.launch.LocalServices;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every example of README's "Use it from your app" runs as written, in any order and any number of
 * times: against the embedded run README starts (only {@code localhost:8080} becomes the run's own
 * address), each example twice, in a shuffled order. The shell examples run in bash, the Python
 * ones in python3, the Java class is compiled against the client jar's classes and Jackson alone
 * and run in a JVM of its own, and the HTML page is served on another origin (listed in {@code
 * CHUNK_RELAY_ALLOWED_ORIGINS}) and opened in Chromium while its stream is written.
 */
class ReadmeExamplesIT {
  private static final Pattern BLOCK = Pattern.compile("```(\\w+)\\n(.*?)```", Pattern.DOTALL);
  private static final String PROBLEM = "urn:chunk-relay:problem:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static int pagePort;
  private static EmbeddedRun run;

  /** One runnable example: how to run it, and what its output must show. */
  private record Example(String language, String code, Predicate<String> expected, String says) {}

  @BeforeAll
  static void start() throws IOException {
    pagePort = LocalServices.freePort();
    run =
        EmbeddedRun.started(
            "readme-run", Map.of("CHUNK_RELAY_ALLOWED_ORIGINS", "http://127.0.0.1:" + pagePort));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (run != null) {
      run.close();
    }
  }

  @Test
  void everyExampleRunsAsWrittenTwiceInAnyOrder(@TempDir Path dir) throws Exception {
    List<Example> examples = examples();
    assertEquals(5, examples.size(), "README's runnable examples: " + examples);
    List<Example> runs = new ArrayList<>(examples);
    runs.addAll(examples);
    long seed = new Random().nextLong();
    Collections.shuffle(runs, new Random(seed));
    for (Example example : runs) {
      String output = run(example, dir);
      String what = example.language() + " example (" + example.says() + "), seed " + seed;
      assertFalse(output.contains(PROBLEM), what + " was refused:\n" + output);
      assertTrue(example.expected().test(output), what + " printed:\n" + output);
    }
  }

  @Test
  void theBrowserExampleFollowsItsStreamFromAPageOfAnotherOrigin() throws Exception {
    String html = blocks("html").get(0).replace("localhost:8080", "127.0.0.1:" + run.port());
    String page = "<!doctype html><html><body>" + html + "</body></html>";
    Matcher stream = Pattern.compile("connect\\('([^']+)'").matcher(html);
    assertTrue(stream.find(), html);
    Http http = new Http(run.base());
    String path = "api/streams/" + stream.group(1);
    if (http.get(path).status() == 404) {
      http.postJson(path + "/chunks", Http.chunk("m1", "Hello "));
      http.postJson(path + "/chunks", Http.chunk("m1", "browser"));
      http.postJson(path + "/complete", "");
    }
    String expected =
        JSON
            .readTree(http.get(path + "/chunks?after=0").body())
            .get("chunks")
            .findValuesAsText("content")
            .stream()
            .reduce("", String::concat);
    try (OtherOriginPage other = OtherOriginPage.serve(pagePort, page)) {
      for (int time = 0; time < 2; time++) {
        try (DemoBrowser browser = DemoBrowser.open(other.url())) {
          browser.waitUntil(
              d ->
                  expected.equals(
                      browser.script("return document.querySelector('#reply').textContent;")));
          assertEquals(List.of(), browser.consoleErrors());
        }
      }
    }
  }

  /** README's runnable examples, each with what its output must show. */
  private static List<Example> examples() throws IOException {
    List<Example> examples = new ArrayList<>();
    for (String sh : blocks("sh")) {
      if (sh.contains("x-ndjson")) {
        examples.add(new Example("sh", sh, out -> out.contains("\"count\":4"), "4 lines stored"));
      } else if (sh.contains("/complete")) {
        examples.add(
            new Example(
                "sh",
                sh,
                out -> out.contains("\"seq\":1") && out.contains("\"lastSeq\":2"),
                "seqs 1 and 2, completed at 2"));
      }
    }
    for (String python : blocks("python")) {
      if (python.contains("x-ndjson")) {
        examples.add(
            new Example(
                "python", python, out -> out.contains("'count': 7"), "6 words and a final line"));
      } else {
        examples.add(
            new Example(
                "python", python, out -> out.strip().equals("1\n2\n3\n3"), "seqs 1-3, last 3"));
      }
    }
    for (String java : blocks("java")) {
      examples.add(
          new Example(
              "java",
              java,
              out ->
                  out.contains("Hello big world (last seq 3)") && out.contains("5 chunks stored"),
              "the reply read back, then 5 chunks streamed"));
    }
    return examples;
  }

  private static List<String> blocks(String language) throws IOException {
    List<String> found = new ArrayList<>();
    Matcher blocks = BLOCK.matcher(Files.readString(Path.of("README.md")));
    while (blocks.find()) {
      if (blocks.group(1).equals(language)) {
        found.add(blocks.group(2));
      }
    }
    return found;
  }

  /** Runs one example against the run and returns what it printed; fails if it exits non-zero. */
  private static String run(Example example, Path dir) throws Exception {
    String code = example.code().replace("localhost:8080", "127.0.0.1:" + run.port());
    List<String> command =
        switch (example.language()) {
          case "sh" -> List.of("bash", write(dir, "example.sh", code).toString());
          case "python" -> List.of("python3", write(dir, "example.py", code).toString());
          case "java" -> javaCommand(code, dir);
          default -> throw new IllegalArgumentException(example.language());
        };
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), example.says() + " did not end");
    assertEquals(0, process.exitValue(), example.language() + " example failed:\n" + output);
    return output;
  }

  private static Path write(Path dir, String name, String code) throws IOException {
    return Files.writeString(dir.resolve(name), code);
  }

  /** Compiles the Java class against the client's classes and Jackson; the command to run it. */
  private static List<String> javaCommand(String code, Path dir) throws Exception {
    Matcher name = Pattern.compile("public class (\\w+)").matcher(code);
    assertTrue(name.find(), "README's Java example is a public class");
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path source = write(dir, name.group(1) + ".java", code);
    String classPath =
        String.join(
            File.pathSeparator,
            Path.of("target", "chunk-relay-client.jar").toAbsolutePath().toString(),
            location(ObjectMapper.class),
            location(com.fasterxml.jackson.core.JsonFactory.class),
            location(com.fasterxml.jackson.annotation.JsonProperty.class));
    String java = Path.of(System.getProperty("java.home"), "bin").toString();
    Process javac =
        new ProcessBuilder(
                java + "/javac",
                "-proc:none",
                "-classpath",
                classPath,
                "-d",
                classes.toString(),
                source.toString())
            .redirectErrorStream(true)
            .start();
    String said = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, javac.waitFor(), "README's Java example does not compile:\n" + said);
    return List.of(java + "/java", "-cp", classes + File.pathSeparator + classPath, name.group(1));
  }

  private static String location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
