package io.chunkrelay.config;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.NoInitialContextException;

/**
 * Keeps one order of precedence for every setting.
 *
 * <p>Where a named setting comes from. The same name ({@code CHUNK_RELAY_DB_URL}, ...) is looked
 * up, in order, as a Java system property, an environment variable, and a JNDI entry under {@code
 * java:comp/env/} (a {@code <Environment>} in a container's context.xml). The first that is set and
 * not blank wins.
 */
public final class SettingSource {
  private final Function<String, String> lookup;

  private SettingSource(Function<String, String> lookup) {
    this.lookup = lookup;
  }

  /** System properties, then environment variables, then JNDI. */
  public static SettingSource standard() {
    return new SettingSource(
        name -> {
          String value = System.getProperty(name);
          if (isBlank(value)) {
            value = System.getenv(name);
          }
          if (isBlank(value)) {
            value = jndi(name);
          }
          return value;
        });
  }

  /** A fixed map of settings, for unit tests and for tools that build a configuration in code. */
  public static SettingSource of(Map<String, String> values) {
    return new SettingSource(values::get);
  }

  /** The trimmed value of the setting, or empty when it is not set anywhere. */
  public Optional<String> get(String name) {
    String value = lookup.apply(name);
    return isBlank(value) ? Optional.empty() : Optional.of(value.trim());
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  private static String jndi(String name) {
    try {
      Object value = new InitialContext().lookup("java:comp/env/" + name);
      return value == null ? null : value.toString();
    } catch (NameNotFoundException | NoInitialContextException notConfigured) {
      // No such entry, or no JNDI at all (plain JVM, embedded run): the setting is simply not set
      // here.
      return null;
    } catch (NamingException e) {
      throw new ConfigException("cannot read " + name + " from JNDI java:comp/env: " + e, e);
    }
  }
}
