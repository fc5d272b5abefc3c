package ledger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * `./ledger lag`: how long a posted transfer takes to appear on the query side. One transfer at
 * a time (at --rate per second) from an operator account to a fresh account; after its 201 the
 * credit account's statement is polled (every 2 ms) until the posted entry is there. Prints
 * p50/p90/p99/max of that client-visible lag, then the server's own figure (event journal
 * timestamp to query rows written, ledger_projection_lag_seconds, per tag).
 */
public final class ProjectionLag {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SERVER = Pattern.compile(
      "ledger_projection_lag_seconds\\{tag=\"([^\"]+)\",quantile=\"([0-9.]+)\",} ([0-9.eE+-]+|NaN)");

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String url;

  private ProjectionLag(String url) {
    this.url = url;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new TreeMap<>(Map.of("url", "http://127.0.0.1:8080", "count", "200", "rate", "10"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      String key = args[i].replaceFirst("^--", "");
      if (!o.containsKey(key)) {
        throw new IllegalArgumentException("options: --url URL --count N --rate PER_SECOND");
      }
      o.put(key, args[i + 1]);
    }
    new ProjectionLag(o.get("url")).run(Integer.parseInt(o.get("count")), Double.parseDouble(o.get("rate")));
  }

  private void run(int count, double rate) throws Exception {
    String run = Long.toString(System.currentTimeMillis(), 36);
    String op = "lag-op-" + run;
    String to = "lag-" + run;
    send("POST", "/accounts", "{\"id\":\"" + op + "\",\"currency\":\"LAG\",\"min_balance\":null}", 201);
    send("POST", "/accounts", "{\"id\":\"" + to + "\",\"currency\":\"LAG\"}", 201);
    Histogram lag = new Histogram(3);
    long seen = 0;
    long interval = (long) (1_000_000_000L / rate);
    long next = System.nanoTime();
    for (int i = 0; i < count; i++) {
      while (System.nanoTime() < next) {
        Thread.sleep(1);
      }
      next += interval;
      String id = "lag-" + run + "-" + i;
      send("POST", "/transfers", "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + op + "\",\"credit_account_id\":\""
          + to + "\",\"amount\":1,\"currency\":\"LAG\"}", 201);
      long acked = System.nanoTime();
      seen = awaitPosted(to, id, seen);
      lag.recordValue((System.nanoTime() - acked) / 1_000);
    }
    System.out.printf("%d transfers at %.0f/s: 201 answer -> posted entry on GET /accounts/{id}/entries (client)%n",
        count, rate);
    System.out.printf("  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms%n", lag.getValueAtPercentile(50) / 1e3,
        lag.getValueAtPercentile(90) / 1e3, lag.getValueAtPercentile(99) / 1e3, lag.getMaxValue() / 1e3);
    System.out.println("event journal timestamp -> query rows written (server, ledger_projection_lag_seconds, "
        + "last 10 minutes, all events):");
    Matcher m = SERVER.matcher(send("GET", "/metrics", null, 200).get("text").asText());
    while (m.find()) {
      System.out.printf("  %s q%s %.1f ms%n", m.group(1), m.group(2), Double.parseDouble(m.group(3)) * 1e3);
    }
  }

  /** Polls the statement after version {@code seen} until the transfer's posted entry is there. */
  private long awaitPosted(String account, String transferId, long seen) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode page = send("GET", "/accounts/" + account + "/entries?limit=10&after_version=" + seen, null, -1);
      if (page.has("entries")) {
        for (JsonNode e : page.get("entries")) {
          if (e.get("transfer_id").asText().equals(transferId) && e.get("status").asText().equals("posted")) {
            return e.get("version").asLong();
          }
        }
      }
      Thread.sleep(2);
    }
    throw new IllegalStateException("transfer " + transferId + " not on the query side after 60 s");
  }

  private JsonNode send(String method, String path, String body, int expect) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
        : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (expect > 0 && r.statusCode() != expect) {
      throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return path.equals("/metrics") ? JSON.createObjectNode().put("text", r.body()) : JSON.readTree(r.body());
  }
}
