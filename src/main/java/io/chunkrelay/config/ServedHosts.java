package io.chunkrelay.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which names a node answers to, so a page on a name an attacker controls (DNS rebinding: the name
 * first points at the attacker, then at the node) cannot reach it as its own origin.
 *
 * <p>A request's {@code Host} is served when it is {@code localhost}, an IP address literal (a
 * browser sends a literal only when the page's own address is that literal, which no attacker's
 * name can become), or one of {@code CHUNK_RELAY_ALLOWED_HOSTS}: host names without a port, or
 * {@code *.example.com} for every name under {@code example.com}. A request without a {@code Host}
 * (HTTP/1.0) comes from no browser and is served. The port is not compared: a load balancer or a
 * port mapping may put the node's listener behind any port.
 *
 * @param names {@code CHUNK_RELAY_ALLOWED_HOSTS}, lower-cased
 */
public record ServedHosts(List<String> names) {
  private static final Pattern NAME =
      Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*");
  private static final Pattern IPV4 =
      Pattern.compile(
          "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f:.]{2,45}(%25[a-z0-9.]+)?\\]");
  private static final Pattern PORT = Pattern.compile(":[0-9]{1,5}");

  public ServedHosts {
    names = List.copyOf(names);
  }

  static ServedHosts read(SettingReader in) {
    return new ServedHosts(
        in.optional("CHUNK_RELAY_ALLOWED_HOSTS").map(ServedHosts::parse).orElse(List.of()));
  }

  private static List<String> parse(String value) {
    List<String> names =
        Arrays.stream(value.split(","))
            .map(name -> name.trim().toLowerCase(Locale.ROOT))
            .filter(name -> !name.isEmpty())
            .toList();
    for (String name : names) {
      if (!NAME.matcher(name).matches() || name.length() > 253) {
        throw new ConfigException(
            "CHUNK_RELAY_ALLOWED_HOSTS must list host names without a port (relay.example.com,"
                + " or *.example.com for every name under it), separated by commas; got '"
                + name
                + "'");
      }
    }
    return names;
  }

  /** Whether a request carrying this {@code Host} header (empty: none) is served. */
  public boolean serves(Optional<String> hostHeader) {
    if (hostHeader.isEmpty()) {
      return true;
    }
    String host = hostHeader.get().trim().toLowerCase(Locale.ROOT);
    int colon = host.lastIndexOf(':');
    if (colon > host.lastIndexOf(']') && PORT.matcher(host.substring(colon)).matches()) {
      host = host.substring(0, colon);
    }
    if (host.equals("localhost") || IPV4.matcher(host).matches() || IPV6.matcher(host).matches()) {
      return true;
    }
    for (String name : names) {
      if (name.startsWith("*.")
          ? host.endsWith(name.substring(1)) && host.length() > name.length() - 1
          : host.equals(name)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "localhost, IP addresses" + (names.isEmpty() ? "" : ", " + String.join(", ", names));
  }
}
