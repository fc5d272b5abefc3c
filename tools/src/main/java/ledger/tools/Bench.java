package ledger.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The load generator of `./ledger bench`: creates accounts (funded by an operator account), then
 * drives the transfer API of a running ledger for a duration and reports throughput, latency
 * percentiles, outcomes by code, and whether S1 still holds over the accounts it used.
 *
 * <p>Shapes: one transfer per request (random pairs, or `--hot`: every transfer touches one
 * account), or `--batch N` transfers per `POST /transfers/batch`. Loops: closed (`--concurrency`
 * workers, each sending when its previous request answered) or open (`--rate` transfers per
 * second on a fixed schedule, latency measured from the scheduled time, so a stall is not hidden
 * by the generator waiting for it). `--compare-postgres` runs the same shape with pgbench against
 * a throw-away local PostgreSQL afterwards and prints the ratio.
 */
public final class Bench {
  static final String USAGE = """
      usage: ./ledger bench [--url http://127.0.0.1:8080] [--accounts 10000] [--concurrency 100]
                            [--duration 30] [--warmup 10] [--hot] [--batch N] [--rate R]
                            [--plot latency.png] [--compare-postgres] [--cassandra H:P] [--keyspace K]
                            [--key API_KEY]""";
  static final String HELP = """
        --accounts N        accounts to create and fund (each run creates new ones)
        --concurrency C     closed loop: C workers; open loop: at most C requests in flight
        --duration S        measured seconds, after --warmup S unmeasured seconds
        --hot               every transfer debits or credits the same account
        --batch N           N transfers per POST /transfers/batch (latency is per request)
        --rate R            open loop: R transfers per second on a fixed schedule
        --plot FILE         write the latency percentile plot as a PNG
        --compare-postgres  then run the same shape with pgbench on a throw-away PostgreSQL
                            (tools/postgres/run.sh) and print the ratio
        --cassandra H:P     where to read Cassandra's per-table counters (127.0.0.1:9042)
        --keyspace K        the ledger's keyspace there (ledger)
        --key API_KEY       the API key to send (default: the environment's LEDGER_API_KEY)""";
  private static final ObjectMapper JSON = LedgerClient.JSON;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String METADATA = ",\"metadata\":{\"note\":\"" + "x".repeat(118) + "\"}";

  private final Options options;
  private final String run = Long.toString(System.currentTimeMillis(), 36);
  private final LedgerClient client;
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();

  private Bench(Options options, LedgerClient client) {
    this.options = options;
    this.client = client;
  }

  public static void main(String[] args) throws Exception {
    Options options;
    LedgerClient client;
    try {
      CommandLine given = Options.commandLine(args);
      if (given.flag("help")) {
        System.out.println(USAGE);
        System.out.println(HELP);
        return;
      }
      options = Options.of(given);
      client = new LedgerClient(LedgerClient.key(given));
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    System.exit(new Bench(options, client).runAll());
  }

  private int runAll() throws Exception {
    PostgresComparison postgres = options.comparePostgres() ? new PostgresComparison(options) : null;
    if (postgres != null && !postgres.available()) {
      return 4;
    }
    try {
      get("/accounts/bench-probe");
    } catch (IOException e) {
      System.err.println("No ledger answers at " + options.url() + ": start one first (./ledger dev), or pass --url.");
      return 1;
    }
    System.out.printf("bench run %s: %s%n", run, options.describe());
    setUp();
    drive(options.warmup(), false);
    ResourceUse use = new ResourceUse(options.cassandra(), options.keyspace());
    ResourceUse.Sample before = use.sample();
    Histogram latency = drive(options.duration(), true);
    ResourceUse.Sample after = use.sample();
    Result ledger = report(latency);
    ResourceUse.print(before, after, outcomes.getOrDefault("posted", new LongAdder()).sum());
    if (options.plot() != null) {
      LatencyPlot.write(latency, Path.of(options.plot()), "ledger: " + options.describe());
      System.out.println("latency plot written to " + options.plot());
    }
    boolean s1 = checkConservation();
    if (postgres != null) {
      Result pg = postgres.run();
      if (pg == null) {
        return 4;
      }
      Result.printComparison(ledger, pg, options);
    }
    return s1 ? 0 : 3;
  }

  private String account(int i) {
    return "b" + run + "-" + i;
  }

  private String operator() {
    return "b" + run + "-operator";
  }

  private void setUp() throws Exception {
    post("/accounts", "{\"id\":\"" + operator() + "\",\"currency\":\"USD\",\"min_balance\":null}");
    LedgerClient.parallel(options.accounts(), i -> post("/accounts", "{\"id\":\"" + account(i) + "\",\"currency\":\"USD\"}"));
    // 16 accounts per funding transfer (one leg each, all debiting the operator): the operator
    // is a hot account, so fewer, wider transfers fund 10,000 accounts in seconds.
    LedgerClient.parallel((options.accounts() + 15) / 16, i -> fund(i * 16, Math.min(options.accounts(), i * 16 + 16)));
    System.out.printf("created and funded %d accounts%n", options.accounts());
  }

  /** A refused funding attempt (the operator is hot) is retried under a new id. */
  private Object fund(int from, int to) {
    StringBuilder legs = new StringBuilder();
    for (int i = from; i < to; i++) {
      legs.append(i == from ? "" : ",").append("{\"debit_account_id\":\"").append(operator())
          .append("\",\"credit_account_id\":\"").append(account(i))
          .append("\",\"amount\":1000000000,\"currency\":\"USD\"}");
    }
    for (int attempt = 0; attempt < 20; attempt++) {
      String body = "{\"id\":\"fund-" + run + "-" + from + "-" + attempt + "\",\"legs\":[" + legs + "]}";
      if (postTransfer("/transfers", body).statusCode() / 100 == 2) {
        return null;
      }
    }
    throw new IllegalStateException("could not fund accounts " + from + ".." + to);
  }

  /**
   * Runs the workload for a length of time; returns the latency histogram (microseconds) of the
   * requests. Closed loop: each worker sends its next request when the previous one answered.
   * Open loop: request k is due at start + k / rate; a worker takes the next due request, waits
   * for its time, and its latency counts from that time.
   */
  private Histogram drive(Duration length, boolean measured) throws Exception {
    Recorder recorder = new Recorder(3);
    Histogram total = new Histogram(3);
    LongAdder transfers = new LongAdder();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    AtomicLong due = new AtomicLong();
    double intervalNanos = options.rate() > 0 ? 1e9 * options.batch() / options.rate() : 0;
    ExecutorService workers = Executors.newFixedThreadPool(options.concurrency());
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < options.concurrency(); w++) {
      running.add(workers.submit(() -> {
        while (true) {
          long scheduled = System.nanoTime();
          if (intervalNanos > 0) {
            scheduled = start + (long) (due.getAndIncrement() * intervalNanos);
            long wait = scheduled - System.nanoTime();
            if (wait > 0) {
              TimeUnit.NANOSECONDS.sleep(wait);
            }
          }
          if (scheduled >= end) {
            return null;
          }
          List<String> results = options.batch() > 1 ? batch() : List.of(single());
          recorder.recordValue(Math.max(1, (System.nanoTime() - scheduled) / 1000));
          transfers.add(results.size());
          if (measured) {
            results.forEach(outcome -> outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment());
          }
        }
      }));
    }
    long lastTransfers = 0;
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      Histogram interval = recorder.getIntervalHistogram();
      total.add(interval);
      long sum = transfers.sum();
      System.out.printf("%s %3ds  %7d transfers/s  p50 %7.1f ms  p99 %7.1f ms%n", measured ? "run   " : "warmup",
          (System.nanoTime() - start) / 1_000_000_000L, sum - lastTransfers,
          interval.getValueAtPercentile(50) / 1000.0, interval.getValueAtPercentile(99) / 1000.0);
      lastTransfers = sum;
    }
    for (Future<?> f : running) {
      f.get();
    }
    workers.shutdown();
    total.add(recorder.getIntervalHistogram());
    return total;
  }

  private String transferJson(String id) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int n = options.accounts();
    int a = options.hot() ? 0 : random.nextInt(n);
    int b = (a + 1 + random.nextInt(n - 1)) % n;
    if (options.hot() && random.nextBoolean()) { // the hot account is debited or credited
      int t = a;
      a = b;
      b = t;
    }
    return "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + account(a) + "\",\"credit_account_id\":\""
        + account(b) + "\",\"amount\":" + (1 + random.nextInt(100)) + ",\"currency\":\"USD\"" + METADATA + "}";
  }

  /** One transfer per request: "posted", or "<status> <code>", or "unknown" after 50 unknown outcomes. */
  private String single() {
    HttpResponse<String> r = postTransfer("/transfers", transferJson(run + "-" + sequence.incrementAndGet()));
    return r == null ? "unknown" : r.statusCode() / 100 == 2 ? "posted" : r.statusCode() + " " + LedgerClient.errorCode(r.body());
  }

  /**
   * N transfers per request: the outcome of each element. Elements answered `unavailable`
   * (outcome unknown) are sent again, same ids, in a smaller batch, as a client must.
   */
  private List<String> batch() {
    List<String> pending = new ArrayList<>();
    for (int i = 0; i < options.batch(); i++) {
      pending.add(transferJson(run + "-" + sequence.incrementAndGet()));
    }
    List<String> results = new ArrayList<>(options.batch());
    for (int attempt = 0; attempt < 20 && !pending.isEmpty(); attempt++) {
      HttpResponse<String> r = postTransfer("/transfers/batch", "{\"transfers\":[" + String.join(",", pending) + "]}");
      if (r == null || r.statusCode() != 200) {
        String outcome = r == null ? "unknown" : r.statusCode() + " " + LedgerClient.errorCode(r.body());
        pending.forEach(t -> results.add(outcome));
        return results;
      }
      List<String> again = new ArrayList<>();
      try {
        int i = 0;
        for (JsonNode result : JSON.readTree(r.body()).path("results")) {
          String status = result.path("status").asText();
          String code = result.path("error").path("code").asText();
          if (code.equals("unavailable")) {
            again.add(pending.get(i));
          } else {
            results.add(status.equals("posted") ? status : status + " " + code);
          }
          i++;
        }
      } catch (IOException e) {
        results.add("unreadable batch answer");
        return results;
      }
      pending = again;
    }
    pending.forEach(t -> results.add("unknown"));
    return results;
  }

  /** Posts a transfer (or batch); an unknown outcome (503, I/O error) is sent again with the same body. */
  private HttpResponse<String> postTransfer(String path, String body) {
    return client.postUntilKnown(options.url(), path, body, TIMEOUT, 50, 0);
  }

  private Result report(Histogram h) {
    double seconds = options.duration().toMillis() / 1000.0;
    long posted = outcomes.getOrDefault("posted", new LongAdder()).sum();
    Result result = Result.of(posted / seconds, h);
    System.out.printf("%nthroughput %.0f transfers/s posted (%d posted, %d requests in %.0f s)%n", result.tps(),
        posted, h.getTotalCount(), seconds);
    System.out.printf("latency ms per request  %s%n", result.latencies());
    Map<String, Long> counts = new TreeMap<>();
    outcomes.forEach((k, v) -> counts.put(k, v.sum()));
    System.out.println("outcomes " + counts);
    return result;
  }

  /**
   * S1 over the accounts of this run (money moved only among them and their operator). The
   * accounts are read one after the other, not as a snapshot: while posts still travel after an
   * overloaded run the sums can differ for a moment, so a mismatch is read again (5 times, 3 s
   * apart) before it is reported broken.
   */
  private boolean checkConservation() throws Exception {
    Thread.sleep(2000); // let the last posts reach the accounts
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < options.accounts(); i++) {
      ids.add(account(i));
    }
    ids.add(operator());
    long[] sums = new long[4];
    boolean holds = false;
    for (int attempt = 0; attempt < 5 && !holds; attempt++) {
      if (attempt > 0) {
        Thread.sleep(3000);
      }
      Arrays.fill(sums, 0);
      for (String id : ids) {
        JsonNode a = readAccount(id);
        sums[0] += a.get("debits_posted").asLong();
        sums[1] += a.get("credits_posted").asLong();
        sums[2] += a.get("debits_pending").asLong();
        sums[3] += a.get("credits_pending").asLong();
      }
      holds = sums[0] == sums[1] && sums[2] == sums[3];
    }
    System.out.printf("S1 %s over %d accounts: debits_posted %d = credits_posted %d, debits_pending %d = credits_pending %d%n",
        holds ? "holds" : "BROKEN", ids.size(), sums[0], sums[1], sums[2], sums[3]);
    return holds;
  }

  /** An account as its entity answers it; a 503 (an overloaded node) is asked again for up to a minute. */
  private JsonNode readAccount(String id) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      HttpResponse<String> r = client.send(options.url(), "/accounts/" + id, null, TIMEOUT);
      if (r.statusCode() == 200) {
        return JSON.readTree(r.body());
      }
      if (r.statusCode() != 503 || System.nanoTime() > deadline) {
        throw new IllegalStateException("cannot read account " + id + ": " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(500);
    }
  }

  private String post(String path, String body) throws IOException {
    return client.send(options.url(), path, body, TIMEOUT).body();
  }

  private String get(String path) throws IOException {
    return client.send(options.url(), path, null, TIMEOUT).body();
  }
}
