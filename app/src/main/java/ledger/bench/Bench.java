package ledger.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load generator for a running ledger: creates accounts (funded by an operator
 * account), then drives POST /transfers with random account pairs, unique ids and 128-byte
 * metadata at a fixed concurrency for a duration. Prints a progress line per second, then
 * throughput, latency percentiles, errors by code, and checks that S1 still holds.
 *
 * <pre>./ledger bench [--url U] [--accounts N] [--concurrency C] [--duration S] [--warmup S] [--hot]</pre>
 */
public final class Bench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final int accounts;
  private final int concurrency;
  private final Duration duration;
  private final Duration warmup;
  private final boolean hot;
  private final String run = Long.toString(System.currentTimeMillis(), 36);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();

  private Bench(Map<String, String> options) {
    url = options.getOrDefault("url", "http://127.0.0.1:8080");
    accounts = Integer.parseInt(options.getOrDefault("accounts", "10000"));
    concurrency = Integer.parseInt(options.getOrDefault("concurrency", "100"));
    duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "30")));
    warmup = Duration.ofSeconds(Long.parseLong(options.getOrDefault("warmup", "10")));
    hot = options.containsKey("hot");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new TreeMap<>();
    for (int i = 0; i < args.length; i++) {
      String key = args[i].replaceFirst("^--", "");
      boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
      options.put(key, flag ? "true" : args[++i]);
    }
    new Bench(options).runAll();
  }

  private void runAll() throws Exception {
    try {
      get("/accounts/bench-probe");
    } catch (IOException e) {
      System.err.println("No ledger answers at " + url + ": start one first (./ledger dev), or pass --url.");
      System.exit(1);
    }
    System.out.printf("bench run %s: %d accounts, concurrency %d, %ds warm-up + %ds, %s%n", run, accounts,
        concurrency, warmup.toSeconds(), duration.toSeconds(), hot ? "hot account" : "random pairs");
    setUp();
    drive(warmup, false);
    Histogram result = drive(duration, true);
    report(result);
    checkConservation();
  }

  private String account(int i) {
    return "b" + run + "-" + i;
  }

  private void setUp() throws Exception {
    post("/accounts", "{\"id\":\"" + operator() + "\",\"currency\":\"USD\",\"min_balance\":null}");
    parallel(accounts, i -> post("/accounts", "{\"id\":\"" + account(i) + "\",\"currency\":\"USD\"}"));
    parallel(accounts, i -> fund(account(i)));
    System.out.printf("created and funded %d accounts%n", accounts);
  }

  /** Funding all debits one operator account: a refused attempt is retried under a new id. */
  private Object fund(String account) {
    for (int attempt = 0; attempt < 20; attempt++) {
      String outcome = transfer("fund-" + account + "-" + attempt, operator(), account, 1_000_000_000L, "");
      if (outcome.equals("posted")) {
        return outcome;
      }
    }
    throw new IllegalStateException("could not fund " + account);
  }

  private String operator() {
    return "b" + run + "-operator";
  }

  /** Closed loop: each worker sends its next transfer when the previous one answered. */
  private Histogram drive(Duration length, boolean measured) throws Exception {
    Recorder recorder = new Recorder(3);
    Histogram total = new Histogram(3);
    long end = System.nanoTime() + length.toNanos();
    String metadata = ",\"metadata\":{\"note\":\"" + "x".repeat(118) + "\"}";
    ExecutorService workers = Executors.newFixedThreadPool(concurrency);
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      running.add(workers.submit(() -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < end) {
          int a = hot ? 0 : random.nextInt(accounts);
          int b = (a + 1 + random.nextInt(accounts - 1)) % accounts;
          long start = System.nanoTime();
          String outcome = transfer(run + "-" + sequence.incrementAndGet(), account(a), account(b),
              1 + random.nextInt(100), metadata);
          recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
          if (measured) {
            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
          }
        }
        return null;
      }));
    }
    long started = System.nanoTime();
    while (System.nanoTime() < end) {
      Thread.sleep(1000);
      Histogram interval = recorder.getIntervalHistogram();
      total.add(interval);
      System.out.printf("%s %3ds  %7.0f transfers/s  p50 %6.1f ms  p99 %6.1f ms%n", measured ? "run   " : "warmup",
          (System.nanoTime() - started) / 1_000_000_000L, interval.getTotalCount() / 1.0,
          interval.getValueAtPercentile(50) / 1000.0, interval.getValueAtPercentile(99) / 1000.0);
    }
    for (Future<?> f : running) {
      f.get();
    }
    workers.shutdown();
    total.add(recorder.getIntervalHistogram());
    return total;
  }

  private void report(Histogram h) {
    double seconds = duration.toMillis() / 1000.0;
    long posted = outcomes.getOrDefault("posted", new LongAdder()).sum();
    System.out.printf("%nthroughput %.0f transfers/s posted (%d posted, %d requests in %.0f s, concurrency %d)%n",
        posted / seconds, posted, h.getTotalCount(), seconds, concurrency);
    System.out.printf("latency ms  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
    Map<String, Long> counts = new TreeMap<>();
    outcomes.forEach((k, v) -> counts.put(k, v.sum()));
    System.out.println("outcomes " + counts);
  }

  /** S1 over the accounts of this run (money moved only among them and their operator). */
  private void checkConservation() throws Exception {
    Thread.sleep(2000); // let the last posts reach the accounts
    long[] sums = new long[4];
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < accounts; i++) {
      ids.add(account(i));
    }
    ids.add(operator());
    for (String id : ids) {
      JsonNode a = JSON.readTree(get("/accounts/" + id));
      sums[0] += a.get("debits_posted").asLong();
      sums[1] += a.get("credits_posted").asLong();
      sums[2] += a.get("debits_pending").asLong();
      sums[3] += a.get("credits_pending").asLong();
    }
    boolean holds = sums[0] == sums[1] && sums[2] == sums[3];
    System.out.printf("S1 %s: debits_posted %d = credits_posted %d, debits_pending %d = credits_pending %d%n",
        holds ? "holds" : "BROKEN", sums[0], sums[1], sums[2], sums[3]);
    if (!holds) {
      System.exit(3);
    }
  }

  /** Sends one transfer; retries an unknown outcome (503, I/O) with the same id. Returns its outcome. */
  private String transfer(String id, String debit, String credit, long amount, String extra) {
    String body = "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":" + amount + ",\"currency\":\"USD\"" + extra + "}";
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url + "/transfers"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.statusCode() == 201 || r.statusCode() == 200) {
          return "posted";
        }
        if (r.statusCode() != 503) {
          return r.statusCode() + " " + JSON.readTree(r.body()).path("error").path("code").asText();
        }
      } catch (IOException e) {
        // unknown outcome: retry with the same id
      }
    }
    return "unknown";
  }

  private String post(String path, String body) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))).body();
  }

  private String get(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create(url + path)).GET()).body();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
    try {
      return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private interface Task {
    Object run(int i) throws Exception;
  }

  private void parallel(int n, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, n));
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      all.add(pool.submit(() -> task.run(index)));
    }
    for (Future<?> f : all) {
      f.get();
    }
    pool.shutdown();
    pool.awaitTermination(1, TimeUnit.MINUTES);
  }
}
