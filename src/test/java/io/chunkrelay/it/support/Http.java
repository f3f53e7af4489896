package io.chunkrelay.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chunkrelay.testing.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON-over-HTTP client for the tests, on the JDK's HttpClient. */
public final class Http {
  private static final ObjectMapper JSON = Json.MAPPER;
  // HTTP/1.1 as the node speaks it: no h2c upgrade probe, which a plain HTTP/1.1 server such as
  // the benchmark's reference relay answers by closing the connection.
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final URI base;
  private String bearer;

  public Http(URL base) {
    this(URI.create(base.toString()));
  }

  public Http(URI base) {
    String text = base.toString();
    this.base = URI.create(text.endsWith("/") ? text : text + "/");
  }

  public URI base() {
    return base;
  }

  /**
   * Sends {@code Authorization: Bearer token} with every request that carries none of its own (a
   * benchmark against a node that requires tokens).
   */
  public Http withBearer(String token) {
    this.bearer = token;
    return this;
  }

  /** A response with its body parsed as JSON (null when the body is empty or not JSON). */
  public record Response(
      int status, String contentType, String body, JsonNode json, HttpResponse<String> raw) {
    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  public Response postJson(String path, String body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  public Response post(String path, HttpRequest.BodyPublisher body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).POST(body);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  public Response get(String path, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  public Response send(HttpRequest request) {
    if (bearer != null && request.headers().firstValue("Authorization").isEmpty()) {
      request =
          HttpRequest.newBuilder(request, (name, value) -> true)
              .header("Authorization", "Bearer " + bearer)
              .build();
    }
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      String type = response.headers().firstValue("Content-Type").orElse("");
      JsonNode json = null;
      if (type.contains("json") && !response.body().isEmpty()) {
        json = JSON.readTree(response.body());
      }
      return new Response(response.statusCode(), type, response.body(), json, response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** A value from the node's {@code /metrics}, or -1 when it reports no such metric. */
  public long metric(String name) {
    for (String line : get("metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).trim());
      }
    }
    return -1;
  }

  /** {"messageId":..,"content":..} with proper escaping. */
  public static String chunk(String messageId, String content) {
    return JSON.createObjectNode().put("messageId", messageId).put("content", content).toString();
  }
}
