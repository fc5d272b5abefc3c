package ledger.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The one HTTP client of the tools: every request a driver sends to a ledger node goes through
 * here, with the API key (if any) and a time-out; an I/O error or time-out is the caller's
 * "outcome unknown". Also the error code of an answer, retries of unknown outcomes with the same
 * body (so the same ids), and a bounded fan-out for settling and checking thousands of ids.
 */
public final class LedgerClient {
  public static final ObjectMapper JSON = new ObjectMapper();
  /** Fan-out of {@link #parallel}: enough to keep a 3-node cluster busy, few enough for a laptop. */
  private static final int PARALLELISM = 16;

  private final HttpClient client;
  private final String key;

  /** {@code key}: the API key sent as {@code Authorization: Bearer}, or null to send none. */
  public LedgerClient(String key, Duration connectTimeout) {
    // HTTP/1.1 as the node speaks it: the default (HTTP/2) offers an upgrade on every new connection.
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    this.key = key;
  }

  public LedgerClient(String key) {
    this(key, Duration.ofSeconds(5));
  }

  /** The key a tool was given: {@code --key}, else the environment's LEDGER_API_KEY, else none. */
  public static String key(CommandLine options) {
    String given = options.text("key", null);
    return given != null ? given : System.getenv("LEDGER_API_KEY");
  }

  /** GET (body null) or POST of a JSON body to {@code node + path}. */
  public HttpResponse<String> send(String node, String path, String body, Duration timeout) throws IOException {
    return send(body == null ? "GET" : "POST", node, path, body, timeout);
  }

  public HttpResponse<String> send(String method, String node, String path, String body, Duration timeout)
      throws IOException {
    try {
      return client.send(request(method, node, path, body, timeout), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** A GET that does not block the caller (many reads in flight at once). */
  public CompletableFuture<HttpResponse<String>> getAsync(String node, String path, Duration timeout) {
    return client.sendAsync(request("GET", node, path, null, timeout), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * POSTs {@code body} until the answer is not an unknown outcome (a 503 or an I/O error), at
   * most {@code attempts} times; the same body carries the same ids, so a retry never applies a
   * change twice. A {@code 503 overloaded} (nothing started) is sent again after its
   * Retry-After. Null when no attempt had a known outcome.
   */
  public HttpResponse<String> postUntilKnown(String node, String path, String body, Duration timeout, int attempts,
      long pauseMillis) {
    for (int attempt = 0; attempt < attempts; attempt++) {
      try {
        HttpResponse<String> r = send("POST", node, path, body, timeout);
        if (r.statusCode() != 503) {
          return r;
        }
        if (errorCode(r.body()).equals("overloaded")) {
          sleep(retryAfterMillis(r));
          continue;
        }
      } catch (IOException e) {
        // outcome unknown: the same body again
      }
      if (pauseMillis > 0) {
        sleep(pauseMillis);
      }
    }
    return null;
  }

  /** Retry-After in seconds, 1 if absent, at most 10. */
  static long retryAfterMillis(HttpResponse<String> r) {
    try {
      return Math.min(10, Math.max(1, Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")))) * 1000;
    } catch (NumberFormatException e) {
      return 1000;
    }
  }

  private HttpRequest request(String method, String node, String path, String body, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + path)).timeout(timeout);
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (body == null) {
      return b.method(method, HttpRequest.BodyPublishers.noBody()).build();
    }
    return b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  /** The {@code error.code} of an error answer, "?" if it has none. */
  public static String errorCode(String body) {
    try {
      return JSON.readTree(body).path("error").path("code").asText("?");
    } catch (IOException e) {
      return "?";
    }
  }

  public interface Task<T> {
    T run(int i) throws Exception;
  }

  /** Runs task(0..n-1) on at most 16 threads; results in index order; the first failure is thrown. */
  public static <T> List<T> parallel(int n, Task<T> task) throws Exception {
    if (n == 0) {
      return List.of();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLELISM, n));
    try {
      List<Future<T>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        all.add(pool.submit(() -> task.run(index)));
      }
      List<T> results = new ArrayList<>();
      for (Future<T> f : all) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
