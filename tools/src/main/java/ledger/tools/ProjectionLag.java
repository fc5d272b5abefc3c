package ledger.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
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
  static final String USAGE = "usage: ./ledger lag [--url http://127.0.0.1:8080] [--count 200] [--rate 10] [--key API_KEY]";
  private static final ObjectMapper JSON = LedgerClient.JSON;
  private static final Pattern SERVER = Pattern.compile(
      "ledger_projection_lag_seconds\\{tag=\"([^\"]+)\",quantile=\"([0-9.]+)\",} ([0-9.eE+-]+|NaN)");

  private final LedgerClient client;
  private final String url;

  private ProjectionLag(LedgerClient client, String url) {
    this.client = client;
    this.url = url;
  }

  public static void main(String[] args) throws Exception {
    CommandLine given;
    try {
      given = CommandLine.parse(args, Set.of("url", "count", "rate"), Set.of());
      if (given.flag("help")) {
        System.out.println(USAGE);
        return;
      }
      if (given.whole("count", 200) < 1 || given.number("rate", 10) <= 0) {
        throw new IllegalArgumentException("need --count >= 1 and --rate > 0");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("lag: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    new ProjectionLag(new LedgerClient(LedgerClient.key(given)), given.text("url", "http://127.0.0.1:8080"))
        .run(given.whole("count", 200), given.number("rate", 10));
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
    HttpResponse<String> r = client.send(method, url, path, body, Duration.ofSeconds(30));
    if (expect > 0 && r.statusCode() != expect) {
      throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return path.equals("/metrics") ? JSON.createObjectNode().put("text", r.body()) : JSON.readTree(r.body());
  }
}
