package io.chunkrelay.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Keeps a badly configured node from starting: parses named settings, turning every bad value into
 * a message that names the setting and what it accepts.
 */
final class SettingReader {
  private final SettingSource source;

  SettingReader(SettingSource source) {
    this.source = source;
  }

  Optional<String> optional(String name) {
    return source.get(name);
  }

  /**
   * PEM text given inline ({@code -----BEGIN ...}) or as the path of a file holding it; {@code
   * what} names what it should hold, for the error.
   */
  Optional<String> pem(String name, String what) {
    return source
        .get(name)
        .map(
            value -> {
              if (value.startsWith("-----BEGIN")) {
                return value;
              }
              try {
                return Files.readString(Path.of(value), StandardCharsets.US_ASCII);
              } catch (IOException | RuntimeException e) {
                throw new ConfigException(
                    name
                        + " must be "
                        + what
                        + " in PEM or the path of a file holding it; cannot read '"
                        + value
                        + "': "
                        + e.getMessage());
              }
            });
  }

  private static final java.util.regex.Pattern DAYS =
      java.util.regex.Pattern.compile("p([0-9]{1,6})d|([0-9]{1,6})d?");

  int integer(String name, int defaultValue, int min, int max) {
    Optional<String> raw = source.get(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException notANumber) {
      // reported below with the accepted range
    }
    throw new ConfigException(
        name + " must be an integer from " + min + " to " + max + ", got '" + raw.get() + "'");
  }

  /**
   * A whole number of days, written {@code 30d}, {@code 30} or ISO-8601 {@code P30D}; {@code
   * forever} (when {@code foreverAllowed}) is {@code null}.
   */
  Integer days(String name, Integer defaultValue, boolean foreverAllowed, int min, int max) {
    Optional<String> raw = source.get(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    String value = raw.get().trim().toLowerCase(java.util.Locale.ROOT);
    if (foreverAllowed && value.equals("forever")) {
      return null;
    }
    java.util.regex.Matcher days = DAYS.matcher(value);
    if (days.matches()) {
      int n = Integer.parseInt(days.group(1) != null ? days.group(1) : days.group(2));
      if (n >= min && n <= max) {
        return n;
      }
    }
    throw new ConfigException(
        name
            + " must be a number of days from "
            + min
            + " to "
            + max
            + " (30d, 30 or P30D)"
            + (foreverAllowed ? " or forever" : "")
            + ", got '"
            + raw.get()
            + "'");
  }

  boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = source.get(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default ->
          throw new ConfigException(name + " must be true or false, got '" + raw.get() + "'");
    };
  }

  String channelPrefix(String name) {
    String prefix = source.get(name).orElse(RelayConfig.DEFAULT_REDIS_CHANNEL_PREFIX);
    if (prefix.length() <= 64 && prefix.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      return prefix;
    }
    throw new ConfigException(
        name + " must be at most 64 visible ASCII characters, got '" + prefix + "'");
  }

  /** An IP address literal: a listen address must not depend on DNS at start-up. */
  String ipAddress(String name, String defaultValue) {
    String raw = source.get(name).orElse(defaultValue);
    String address = raw.trim();
    if (address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      if (Arrays.stream(address.split("\\.")).allMatch(octet -> Integer.parseInt(octet) <= 255)) {
        return address;
      }
    } else if (address.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      try {
        InetAddress.getByName(address); // a string with ':' is read as an IPv6 literal, no DNS
        return address;
      } catch (UnknownHostException notAnAddress) {
        // reported below with examples
      }
    }
    throw new ConfigException(
        name
            + " must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::), got '"
            + raw
            + "'");
  }

  URI redisUrl(String name) {
    String raw = source.get(name).orElse(RelayConfig.DEFAULT_REDIS_URL);
    try {
      URI uri = new URI(raw);
      if (("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (java.net.URISyntaxException malformed) {
      // reported below with the expected shape
    }
    throw new ConfigException(
        name + " must look like redis://host:port (or rediss://), got '" + raw + "'");
  }
}
