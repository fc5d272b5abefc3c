package ledger.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small real HTTP client for tests: every call goes over a socket to a bound server. */
public final class TestHttp {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  public TestHttp(String base) {
    this.base = base;
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
