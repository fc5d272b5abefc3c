package ledger.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A small real HTTP client for tests: every call goes over a socket to a bound server, with the
 * test JVM's API key ({@link TestKeys}) unless told otherwise.
 */
public final class TestHttp {
  public static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final HttpClient client = CLIENT;
  private final String base;
  private final Supplier<String> authorization;

  public TestHttp(String base) {
    this(base, TestKeys::bearer);
  }

  /** {@code authorization} gives the Authorization header of each request; null or a null value: none. */
  public TestHttp(String base, Supplier<String> authorization) {
    this.base = base;
    this.authorization = authorization;
  }

  /** The same server with {@code Authorization: Bearer <key>}. */
  public TestHttp withKey(String key) {
    return new TestHttp(base, () -> "Bearer " + key);
  }

  /** The same server with this Authorization header as it is (null: none). */
  public TestHttp withAuthorization(String header) {
    return new TestHttp(base, () -> header);
  }

  /** Status, headers and body of one response; {@link #json()} parses the body. */
  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("response is not JSON: " + body, e);
      }
    }

    public String errorCode() {
      return json().path("error").path("code").asText(null);
    }
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public Response post(String path, String json) {
    return send(request(path, "POST", json, "application/json"));
  }

  public Response post(String path) {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()));
  }

  public Response patch(String path, String json) {
    return send(request(path, "PATCH", json, "application/json"));
  }

  public Response send(String method, String path, String body, String contentType) {
    return send(request(path, method, body, contentType));
  }

  public Response send(HttpRequest.Builder builder) {
    String auth = authorization == null ? null : authorization.get();
    if (auth != null) {
      builder.setHeader("Authorization", auth);
    }
    try {
      HttpResponse<String> r = client.send(builder.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new AssertionError("request to " + base + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public URI uri(String path) {
    return URI.create(base + path);
  }

  private HttpRequest.Builder request(String path, String method, String body, String contentType) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return contentType == null ? b : b.header("Content-Type", contentType);
  }
}
