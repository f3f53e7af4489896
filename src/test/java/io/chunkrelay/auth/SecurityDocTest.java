package io.chunkrelay.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The token recipes of docs/SECURITY.md, run as they stand there (Python's standard library, the
 * shell with openssl): the tokens they mint are accepted by the node's verifier for what they name.
 */
class SecurityDocTest {
  private static final Path DOC = Path.of("docs", "SECURITY.md");
  private static final Access ACCESS =
      Access.of(
          Tokens.settings(Map.of("CHUNK_RELAY_JWT_SECRET", Tokens.SECRET)), Clock.systemUTC());

  @Test
  void thePythonRecipeMintsATokenTheNodeAccepts() throws Exception {
    String recipe = block("python").replace("...the secret...", Tokens.SECRET);
    String token = run(List.of("python3", "-c", recipe), Map.of());
    Grant grant = ACCESS.authenticate(AccessTest.bearer(token));
    assertEquals(Optional.of("chat-backend"), grant.subject());
    assertTrue(grant.allows(Scope.PRODUCE, "chat-42"));
    assertTrue(!grant.allows(Scope.PRODUCE, "chat-43"));
  }

  @Test
  void theShellRecipeMintsATokenTheNodeAccepts() throws Exception {
    String recipe = block("sh");
    // Everything up to the token; then print it instead of calling a node.
    String minting = recipe.substring(0, recipe.indexOf("curl ")) + "printf '%s' \"$token\"\n";
    String token =
        run(List.of("bash", "-c", minting), Map.of("CHUNK_RELAY_JWT_SECRET", Tokens.SECRET));
    Grant grant = ACCESS.authenticate(AccessTest.bearer(token));
    assertEquals(Optional.of("ops"), grant.subject());
    assertTrue(grant.allows(Scope.SUBSCRIBE, "chat-42"));
    assertTrue(!grant.allows(Scope.PRODUCE, "chat-42"));
  }

  private static String block(String language) throws IOException {
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    Matcher block = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(doc);
    // The last block of that language is the minting recipe.
    String found = null;
    while (block.find()) {
      found = block.group(1);
    }
    if (found == null) {
      throw new AssertionError("no ```" + language + " block in " + DOC);
    }
    return found;
  }

  private static String run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "recipe did not finish");
    assertEquals(0, process.exitValue(), output);
    return output.trim();
  }
}
