package ledger.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What the drivers of a running cluster (Recovery, Chaos) share: one request with a time-out
 * (an I/O error or time-out is the caller's "outcome unknown"), the error code of an answer, and
 * a bounded fan-out for settling and checking thousands of ids.
 */
final class HttpSupport {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client;

  HttpSupport(Duration connectTimeout) {
    this.client = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
  }

  HttpClient client() {
    return client;
  }

  /** GET (body null) or POST of a JSON body to {@code node + path}. */
  HttpResponse<String> send(String node, String path, String body, Duration timeout) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node + path)).timeout(timeout);
    if (body != null) {
      request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    }
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** The {@code error.code} of an error answer, "?" if it has none. */
  static String errorCode(String body) {
    try {
      return JSON.readTree(body).path("error").path("code").asText("?");
    } catch (IOException e) {
      return "?";
    }
  }

  interface Task<T> {
    T run(int i) throws Exception;
  }

  /** Runs task(0..n-1) on at most 16 threads; results in index order; the first failure is thrown. */
  static <T> List<T> parallel(int n, Task<T> task) throws Exception {
    if (n == 0) {
      return List.of();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, n));
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
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
