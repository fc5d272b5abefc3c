package ledger.tools;

import static ledger.tools.LedgerClient.JSON;
import static ledger.tools.LedgerClient.errorCode;
import static ledger.tools.LedgerClient.parallel;
import static ledger.tools.LedgerClient.sleep;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Recovery time after a fault, measured from outside like a client sees it: transfers flow
 * among accounts spread over every node's shards, a fault is injected (a node SIGKILLed, or
 * Cassandra stopped), and for each account: the time from the fault to the first strongly
 * consistent read of it (answered by its entity) sent after the fault that succeeds: probed
 * every 100 ms, each probe waiting at most 1 s; and the time to the first transfer touching it
 * sent after the fault and answered posted. Afterwards every unknown outcome (503, time-out,
 * connection lost) is settled by sending the same transfer again, and the books are checked:
 * every acknowledged transfer reads posted, every account's balance is exactly its funding plus
 * the posted transfers, and S1 holds.
 *
 * <p>{@code ./ledger recovery} runs it against {@code ./ledger cluster}; ClusterRecoveryTest
 * runs a short one on separate node JVMs in {@code mvn verify}.
 */
public final class Recovery {
  private static final long FUNDING = 1_000_000_000L;
  /** A first read after the fault answered later than this counts its account as affected. */
  static final Duration SLOW_READ = Duration.ofMillis(500);
  /** How many of the accounts that answered last a run names, with how their reads failed. */
  static final int LAST_TO_ANSWER = 5;
  /** Fundings of one account tried before the run gives up (each rejected one posted nothing). */
  static final int FUNDING_ATTEMPTS = 5;

  /** What to load: node base URLs, the API key to send (null for none), how many accounts and client threads, and for how long. */
  public record Settings(List<String> nodes, String key, int accounts, int workers, Duration before, Duration deadline, long seed) {}

  /**
   * What goes wrong: {@code inject} runs after the warm-up; a node {@code deadNode} (index into
   * the node list, -1 for none) gets no more requests; {@code heal}, if any, runs
   * {@code healAfter} later (Cassandra started again, say). With {@code stillReached} the
   * clients go on sending transfers to {@code deadNode} (cut off from the other nodes, not from
   * the clients), while reads, settling and checks use the other nodes.
   */
  public record Fault(String name, int deadNode, boolean stillReached, Runnable inject, Duration healAfter,
                      Runnable heal) {
    public static Fault killNode(int node, Runnable kill) {
      return killNode(node, "", kill);
    }

    /** As {@link #killNode(int, Runnable)}, {@code note} following the node in the name. */
    public static Fault killNode(int node, String note, Runnable kill) {
      return new Fault("killed node " + (node + 1) + note, node, false, kill, Duration.ZERO, null);
    }

    public static Fault outage(String name, Runnable stop, Duration length, Runnable start) {
      return new Fault(name, -1, false, stop, length, start);
    }

    /** Node {@code node} cut off from the others by {@code cut}; clients still reach it. */
    public static Fault partition(int node, Runnable cut) {
      return new Fault("node " + (node + 1) + " cut off from the others", node, true, cut, Duration.ZERO, null);
    }
  }

  /** One transfer sent: its accounts and what is known of its outcome. */
  private record Sent(String id, int debit, int credit, long amount, String body) {}

  /** What one measurement saw. */
  public record Outcome(String firstAccountId, String fault, long healedMillis, int accounts, long[] recoveredMillis,
                        long[] affectedMillis, long[] transferMillis, long acknowledged, long unknown, long unknownPosted, Map<String, Long> failures,
                        int acknowledgedLost, int balanceMismatches, boolean s1Holds, int slowOnly, Instant faultAt,
                        Instant endedAt, List<String> lastToAnswer) {
    public long maxMillis() {
      return recoveredMillis.length == 0 ? -1 : recoveredMillis[recoveredMillis.length - 1];
    }

    public long p50Millis() {
      return percentile(recoveredMillis, 50);
    }

    public boolean allRecovered() {
      return recoveredMillis.length == accounts && transferMillis.length == accounts;
    }

    /**
     * Accounts whose first read after the fault failed, timed out or answered only after
     * {@link #SLOW_READ} (their shard had to move).
     */
    public int affected() {
      return affectedMillis.length;
    }

    /** Accounts whose first read after the fault failed or timed out: {@link #affected} but the only slow ones. */
    public int failed() {
      return affectedMillis.length - slowOnly;
    }

    public boolean booksExact() {
      return acknowledgedLost == 0 && balanceMismatches == 0 && s1Holds;
    }

    @Override
    public String toString() {
      return String.format(
          "%s%s: %d/%d accounts answer again, max %d ms, p50 %d ms after the fault; %d were unavailable for a"
              + " while (%d of them only slow: a first read over %d ms): their p50 %d ms; first posted transfer per account: %d/%d, max %d ms, p50 %d ms"
              + "%n  transfers acknowledged %d, unknown outcomes %d (settled: %d posted),"
              + " failures by code %s%n  acknowledged transfers lost %d, balances not exact %d, S1 %s",
          fault, healedMillis > 0 ? " (healed at +" + healedMillis + " ms)" : "", recoveredMillis.length, accounts,
          maxMillis(), p50Millis(), affected(), slowOnly, SLOW_READ.toMillis(), percentile(affectedMillis, 50), transferMillis.length, accounts,
          percentile(transferMillis, 100), percentile(transferMillis, 50), acknowledged, unknown, unknownPosted,
          failures, acknowledgedLost, balanceMismatches, s1Holds ? "holds" : "BROKEN")
          + (lastToAnswer.isEmpty() ? "" : String.format("%n  last to answer: %s", String.join(", ", lastToAnswer)));
    }
  }

  private final Settings settings;
  private final String run = Long.toString(System.currentTimeMillis(), 36);
  private final LedgerClient http;
  private final AtomicLong sequence = new AtomicLong();
  private final ConcurrentLinkedQueue<Sent> acknowledged = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Sent> unknown = new ConcurrentLinkedQueue<>();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private volatile int victim = -1;
  private volatile boolean victimStillReached;
  private volatile long killedAt = Long.MAX_VALUE;
  private Instant faultAt;
  private long healedAt;
  private volatile boolean stop;
  private long[] firstSuccess;
  private long[] firstRead;
  private boolean[] readFailed;
  /** Per account, its failed reads since the fault by how they failed (timeout, http_503...). */
  private Map<String, Integer>[] readFailures;
  private boolean[] firstReadSlow;
  private boolean[] probedOnce;
  private AtomicBoolean[] probing;

  private Recovery(Settings settings) {
    this.settings = settings;
    this.http = new LedgerClient(settings.key(), Duration.ofSeconds(2));
  }

  /**
   * Funds the accounts, runs transfers for {@code before}, injects the fault, keeps the load on
   * the live nodes until every account is served again (or the deadline), then settles and
   * checks everything.
   */
  public static Outcome measure(Settings settings, Fault fault) throws Exception {
    return new Recovery(settings).measure(fault);
  }

  private Outcome measure(Fault fault) throws Exception {
    int n = settings.accounts();
    firstSuccess = new long[n];
    Arrays.fill(firstSuccess, -1);
    firstRead = new long[n];
    Arrays.fill(firstRead, -1);
    readFailed = new boolean[n];
    @SuppressWarnings("unchecked")
    Map<String, Integer>[] failuresPerAccount = new Map[n];
    readFailures = failuresPerAccount;
    for (int i = 0; i < n; i++) {
      readFailures[i] = new TreeMap<>();
    }
    firstReadSlow = new boolean[n];
    probedOnce = new boolean[n];
    probing = new AtomicBoolean[n];
    for (int i = 0; i < n; i++) {
      probing[i] = new AtomicBoolean();
    }
    setUp();
    ExecutorService pool = Executors.newFixedThreadPool(settings.workers());
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < settings.workers(); w++) {
      Random random = new Random(settings.seed() * 31 + w);
      workers.add(pool.submit(() -> work(random)));
    }
    Thread.sleep(settings.before().toMillis());
    victim = fault.deadNode();
    victimStillReached = fault.stillReached();
    killedAt = System.nanoTime();
    faultAt = Instant.now();
    ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor();
    prober.scheduleAtFixedRate(this::probe, 0, 100, TimeUnit.MILLISECONDS);
    fault.inject().run();
    if (fault.heal() != null) {
      Thread.sleep(fault.healAfter().toMillis());
      fault.heal().run();
      healedAt = System.nanoTime();
    }
    long deadline = killedAt + settings.deadline().toNanos();
    while (System.nanoTime() < deadline && !allServed()) {
      Thread.sleep(50);
    }
    stop = true;
    prober.shutdown();
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();
    long ended = System.nanoTime();
    long unknownPosted = settle();
    return check(fault.name(), unknownPosted, ended);
  }

  private String account(int i) {
    return "r" + run + "-" + i;
  }

  private String operator() {
    return "r" + run + "-operator";
  }

  private void setUp() throws Exception {
    String node = settings.nodes().get(0);
    post(node, "/accounts", "{\"id\":\"" + operator() + "\",\"currency\":\"USD\",\"min_balance\":null}");
    for (int i = 0; i < settings.accounts(); i++) {
      post(node, "/accounts", "{\"id\":\"" + account(i) + "\",\"currency\":\"USD\"}");
      // A funding rejected (transfer_timed_out while the cluster is busy, e.g. rebalancing after
      // the last run's restart) posted nothing: a new transfer funds the account instead.
      boolean funded = false;
      for (int attempt = 0; attempt < FUNDING_ATTEMPTS && !funded; attempt++) {
        String body = "{\"id\":\"r" + run + "-fund-" + i + "-" + attempt + "\",\"debit_account_id\":\""
            + operator() + "\",\"credit_account_id\":\"" + account(i) + "\",\"amount\":" + FUNDING
            + ",\"currency\":\"USD\"}";
        funded = settleOne(body);
      }
      if (!funded) {
        throw new IllegalStateException("funding of " + account(i) + " was rejected " + FUNDING_ATTEMPTS + " times");
      }
    }
  }

  private void work(Random random) {
    int n = settings.accounts();
    while (!stop) {
      int debit = random.nextInt(n);
      int credit = (debit + 1 + random.nextInt(n - 1)) % n;
      String id = "r" + run + "-t" + sequence.incrementAndGet();
      long amount = 1 + random.nextInt(100);
      String body = "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + account(debit) + "\",\"credit_account_id\":\""
          + account(credit) + "\",\"amount\":" + amount + ",\"currency\":\"USD\"}";
      Sent sent = new Sent(id, debit, credit, amount, body);
      int pick = random.nextInt(settings.nodes().size());
      int node = victimStillReached ? pick : liveNode(pick);
      long sentAt = System.nanoTime();
      String outcome;
      try {
        HttpResponse<String> r = http.send(settings.nodes().get(node), "/transfers", body, Duration.ofSeconds(10));
        outcome = r.statusCode() == 201 || r.statusCode() == 200 ? "posted"
            : r.statusCode() == 422 ? errorCode(r.body()) : r.statusCode() == 503 ? "unavailable" : "http_" + r.statusCode();
      } catch (IOException e) {
        outcome = "io_error";
      }
      long doneAt = System.nanoTime();
      boolean afterKill = sentAt >= killedAt;
      if (outcome.equals("posted")) {
        acknowledged.add(sent);
        // A node cut off from the others may still answer for a while: recovery is the others
        // serving the account.
        if (afterKill && node != victim) {
          served(debit, doneAt);
          served(credit, doneAt);
        }
      } else {
        if (!(outcome.startsWith("http_4") || isRejection(outcome))) {
          unknown.add(sent);
        }
        if (afterKill) {
          failures.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }
      }
    }
  }

  private static boolean isRejection(String code) {
    return !code.equals("unavailable") && !code.equals("io_error") && !code.startsWith("http_");
  }

  /** Node {@code n} (mod the node count), or the next one if that is the dead node. */
  private int liveNode(int n) {
    int count = settings.nodes().size();
    int node = n % count;
    return node == victim ? (node + 1) % count : node;
  }

  private synchronized void served(int account, long at) {
    if (firstSuccess[account] < 0) {
      firstSuccess[account] = at;
    }
  }

  /** Reads every account not yet read since the fault, one probe in flight per account. */
  private void probe() {
    for (int i = 0; i < settings.accounts(); i++) {
      int account = i;
      synchronized (this) {
        if (firstRead[account] >= 0) {
          continue;
        }
      }
      if (!probing[account].compareAndSet(false, true)) {
        continue;
      }
      long sentAt = System.nanoTime();
      boolean first;
      synchronized (this) {
        first = !probedOnce[account];
        probedOnce[account] = true;
      }
      http.getAsync(settings.nodes().get(liveNode(account)), "/accounts/" + account(account), Duration.ofSeconds(1))
          .whenComplete((response, error) -> {
            synchronized (this) {
              long now = System.nanoTime();
              if (response != null && response.statusCode() == 200) {
                if (firstRead[account] < 0) {
                  firstRead[account] = now;
                }
                if (first && now - sentAt > SLOW_READ.toNanos()) {
                  firstReadSlow[account] = true;
                }
              } else {
                readFailed[account] = true;
                String kind = response != null ? "http_" + response.statusCode()
                    : error instanceof java.net.http.HttpTimeoutException
                        || error.getCause() instanceof java.net.http.HttpTimeoutException ? "timeout" : "io_error";
                readFailures[account].merge(kind, 1, Integer::sum);
              }
            }
            probing[account].set(false);
          });
    }
  }

  private synchronized boolean allServed() {
    for (int i = 0; i < settings.accounts(); i++) {
      if (firstSuccess[i] < 0 || firstRead[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** Sends every transfer of unknown outcome again until it is decided; returns how many were posted. */
  private long settle() throws Exception {
    List<Sent> all = new ArrayList<>(unknown);
    List<Boolean> posted = parallel(all.size(), i -> settleOne(all.get(i).body()));
    long count = 0;
    for (int i = 0; i < all.size(); i++) {
      if (posted.get(i)) {
        acknowledged.add(all.get(i));
        count++;
      }
    }
    return count;
  }

  /** Posts a transfer until its outcome is known: true if posted, false if rejected. */
  private boolean settleOne(String body) {
    for (int attempt = 0; attempt < 120; attempt++) {
      String node = settings.nodes().get(Math.floorMod(attempt + (victim < 0 ? 0 : victim + 1), settings.nodes().size()));
      if (settings.nodes().indexOf(node) == victim) {
        continue;
      }
      try {
        HttpResponse<String> r = http.send(node, "/transfers", body, Duration.ofSeconds(10));
        if (r.statusCode() == 201 || r.statusCode() == 200) {
          String status = JSON.readTree(r.body()).path("status").asText();
          if (status.equals("posted")) {
            return true;
          }
        } else if (r.statusCode() == 422) {
          return false;
        } else if (r.statusCode() != 503) {
          throw new IllegalStateException("unexpected " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        // unknown again: retry
      }
      sleep(250);
    }
    throw new IllegalStateException("no outcome for " + body);
  }

  private Outcome check(String fault, long unknownPosted, long ended) throws Exception {
    int n = settings.accounts();
    String node = settings.nodes().get(Math.floorMod(victim + 1, settings.nodes().size()));
    List<Sent> acked = new ArrayList<>(acknowledged);
    // A read that a busy cluster answers 503 or not in time says nothing about the transfer: it is
    // asked again until the deadline; only an answer other than posted, or none by then, is lost.
    long readDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<Boolean> reads = parallel(acked.size(), i -> {
      String answer = readTransfer(node, acked.get(i).id(), readDeadline);
      if (!answer.equals("posted")) {
        System.out.printf("  acknowledged transfer %s: %s%n", acked.get(i).id(), answer);
      }
      return answer.equals("posted");
    });
    int lost = (int) reads.stream().filter(ok -> !ok).count();
    long[] expected = new long[n];
    Arrays.fill(expected, FUNDING);
    for (Sent s : acked) {
      expected[s.debit()] -= s.amount();
      expected[s.credit()] += s.amount();
    }
    int mismatches = 0;
    long debits = 0;
    long credits = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(account(i));
    }
    ids.add(operator());
    for (int i = 0; i < ids.size(); i++) {
      JsonNode a = readSettled(node, ids.get(i), deadline);
      debits += a.path("debits_posted").asLong();
      credits += a.path("credits_posted").asLong();
      if (i < n && a.path("credits_posted").asLong() - a.path("debits_posted").asLong() != expected[i]) {
        mismatches++;
        System.out.printf("  account %s: balance %d, the acknowledged transfers give %d%n", ids.get(i),
            a.path("credits_posted").asLong() - a.path("debits_posted").asLong(), expected[i]);
      }
    }
    List<Long> answered = new ArrayList<>();
    List<Long> affected = new ArrayList<>();
    List<Long> transfers = new ArrayList<>();
    int slowOnly = 0;
    synchronized (this) {
      for (int i = 0; i < n; i++) {
        if (firstRead[i] >= 0) {
          answered.add((firstRead[i] - killedAt) / 1_000_000);
          if (firstReadSlow[i] && !readFailed[i]) {
            slowOnly++;
          }
          if (readFailed[i] || firstReadSlow[i]) {
            affected.add((firstRead[i] - killedAt) / 1_000_000);
          }
        }
        if (firstSuccess[i] >= 0) {
          transfers.add((firstSuccess[i] - killedAt) / 1_000_000);
        }
      }
    }
    List<String> lastToAnswer = new ArrayList<>();
    synchronized (this) {
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compare(firstRead[b] < 0 ? Long.MAX_VALUE : firstRead[b],
          firstRead[a] < 0 ? Long.MAX_VALUE : firstRead[a]));
      for (int k = 0; k < Math.min(LAST_TO_ANSWER, n); k++) {
        int i = order[k];
        lastToAnswer.add(account(i) + " " + (firstRead[i] < 0 ? "never" : "+" + (firstRead[i] - killedAt) / 1_000_000
            + " ms") + " " + readFailures[i]);
      }
    }
    Map<String, Long> failureCounts = new TreeMap<>();
    failures.forEach((k, v) -> failureCounts.put(k, v.sum()));
    return new Outcome(account(0), fault, healedAt == 0 ? 0 : (healedAt - killedAt) / 1_000_000, n, sorted(answered),
        sorted(affected), sorted(transfers), acked.size() - unknownPosted, unknown.size(), unknownPosted, failureCounts, lost, mismatches, debits == credits,
        slowOnly, faultAt, faultAt.plusMillis((ended - killedAt) / 1_000_000), lastToAnswer);
  }

  /** The transfer's status, or what answered instead ("404 ...", "no answer ...") by the deadline. */
  private String readTransfer(String node, String id, long deadline) throws Exception {
    String last = "no answer";
    do {
      try {
        HttpResponse<String> r = http.send(node, "/transfers/" + id, null, Duration.ofSeconds(10));
        if (r.statusCode() == 200) {
          return JSON.readTree(r.body()).path("status").asText();
        }
        last = r.statusCode() + " " + r.body();
        if (r.statusCode() != 503) {
          return last;
        }
      } catch (IOException e) {
        last = "no answer (" + e + ")";
      }
      sleep(250);
    } while (System.nanoTime() < deadline);
    return last + " until the deadline";
  }

  /**
   * Reads an account once no leg is pending on it (posts reach accounts after the answer), or as
   * it is at the deadline; fails if it answered nothing but errors until then.
   */
  private JsonNode readSettled(String node, String id, long deadline) throws Exception {
    while (true) {
      HttpResponse<String> r = http.send(node, "/accounts/" + id, null, Duration.ofSeconds(10));
      if (r.statusCode() == 200) {
        JsonNode a = JSON.readTree(r.body());
        if ((a.path("debits_pending").asLong() == 0 && a.path("credits_pending").asLong() == 0)
            || System.nanoTime() > deadline) {
          return a;
        }
      } else if (System.nanoTime() > deadline) {
        throw new IllegalStateException("account " + id + " answered " + r.statusCode() + " until the deadline");
      }
      sleep(200);
    }
  }

  private static long[] sorted(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  private static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** A create, sent again (it is idempotent by its id) while the answer is 503 unavailable. */
  private void post(String node, String path, String body) throws IOException {
    for (int attempt = 1; ; attempt++) {
      HttpResponse<String> r = http.send(node, path, body, Duration.ofSeconds(30));
      if (r.statusCode() / 100 == 2) {
        return;
      }
      if (r.statusCode() != 503 || attempt == 10) {
        throw new IOException("POST " + path + " answered " + r.statusCode() + " " + r.body());
      }
      sleep(500);
    }
  }

  static final String USAGE = """
      usage: ./ledger recovery [--runs 3] [--accounts 200] [--workers 48] [--before 10] [--seed S]
                               [--kill each|oldest|younger] [--key API_KEY]
      --before: seconds of load between a run's set-up and its kill (the node restarted after the
      last run warms up and takes its share of shards meanwhile).
      Per run: every account served again (the max over the accounts) and the p50, the accounts
      affected, and the stages from the surviving nodes' logs, after the kill: unreachable, downed,
      removed, coordinator started and ready (when the oldest was killed), shards allocated, last
      account. Then per mode (oldest, younger): the median and the worst run, and the share of
      accounts affected (first read after the kill failed, timed out or took over 500 ms).""";

  /**
   * {@code ./ledger recovery}: against the cluster of {@code ./ledger cluster up}, whose node
   * URLs ({@code --nodes}), management URLs ({@code --management}) and log files ({@code --logs},
   * optional: without them no timeline) the script passes in; kills node 1, 2, 3... in turn (or
   * the oldest, or a younger one) with {@code ./ledger cluster kill I}, starts it again after
   * each run, prints each run and, per mode, the median and the worst run.
   */
  public static void main(String[] args) throws Exception {
    CommandLine given;
    String kill;
    try {
      given = CommandLine.parse(args, Set.of("nodes", "management", "logs", "runs", "accounts", "workers", "before", "seed", "kill"),
          Set.of());
      if (given.flag("help")) {
        System.out.println(USAGE);
        return;
      }
      kill = given.text("kill", "each");
      if (!List.of("each", "oldest", "younger").contains(kill)) {
        throw new IllegalArgumentException("--kill is each (node 1, 2, 3, ... in turn), oldest or younger, not " + kill);
      }
      int size = given.list("nodes", List.of()).size();
      if (size < 2 || given.list("management", List.of()).size() != size || given.whole("runs", 3) < 1) {
        throw new IllegalArgumentException("needs --nodes and --management of the same 2 or more nodes, --runs >= 1");
      }
      if (!given.list("logs", List.of()).isEmpty() && given.list("logs", List.of()).size() != size) {
        throw new IllegalArgumentException("--logs names one log file per node, as --nodes");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("recovery: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    ClusterScript cluster = new ClusterScript();
    List<String> nodes = given.list("nodes", List.of());
    List<String> management = given.list("management", List.of());
    List<String> logs = given.list("logs", List.of());
    int size = nodes.size();
    int runs = given.whole("runs", 3);
    long seed = given.wholeLong("seed", System.nanoTime());
    String key = LedgerClient.key(given);
    System.out.printf("recovery: %d nodes, %d runs, kill %s, seed %d%n", size, runs, kill, seed);
    List<Outcome> outcomes = new ArrayList<>();
    RecoverySeries oldestKilled = new RecoverySeries("oldest");
    RecoverySeries youngerKilled = new RecoverySeries("younger");
    for (int r = 0; r < runs; r++) {
      Members members = members(management);
      int oldest = members.oldest();
      int victim = switch (kill) {
        case "oldest" -> oldest;
        case "younger" -> (oldest + 1 + r % (size - 1)) % size;
        default -> r % size;
      };
      String note = victim == oldest
          ? " (the oldest: the shard coordinators it hosts move too)"
          : " (not the oldest: the shard coordinators stay)";
      Settings settings = new Settings(nodes, key, given.whole("accounts", 200), given.whole("workers", 48),
          Duration.ofSeconds(given.whole("before", 10)), Duration.ofSeconds(60), seed + r);
      long[] logEnds = FailoverTimeline.ends(logs);
      Outcome o = measure(settings,
          Fault.killNode(victim, note, () -> cluster.kill(victim)));
      System.out.printf("run %d: %s%n", r + 1, o);
      FailoverTimeline.Timeline timeline = null;
      String dead = members.address(victim);
      if (!logs.isEmpty() && dead != null) {
        timeline = FailoverTimeline.read(FailoverTimeline.linesSince(logs, logEnds, victim), dead, o.faultAt(),
            o.endedAt(), o.maxMillis(), ZoneId.systemDefault());
        System.out.printf("  timeline after the kill: %s%n", timeline);
      }
      outcomes.add(o);
      (victim == oldest ? oldestKilled : youngerKilled).add(
          new RecoverySeries.Run(o.maxMillis(), o.p50Millis(), o.affected(), o.slowOnly(), o.accounts(), timeline));
      cluster.start(victim);
    }
    for (RecoverySeries series : List.of(oldestKilled, youngerKilled)) {
      if (!series.runs().isEmpty()) {
        System.out.println(series);
      }
    }
    long[] max = outcomes.stream().mapToLong(Outcome::maxMillis).toArray();
    long[] p50 = outcomes.stream().mapToLong(Outcome::p50Millis).toArray();
    long[] affected = outcomes.stream().mapToLong(o -> percentile(o.affectedMillis(), 50)).toArray();
    long[] transfers = outcomes.stream().mapToLong(o -> percentile(o.transferMillis(), 100)).toArray();
    boolean exact = outcomes.stream().allMatch(o -> o.allRecovered() && o.booksExact());
    System.out.printf("median of all %d runs: every account answers again %d ms after the kill (max), p50 %d ms;"
            + " the accounts that were unavailable: p50 %d ms; every account had a posted transfer again after %d ms;"
            + " books exact in every run: %s%n", runs, RecoverySeries.median(max), RecoverySeries.median(p50),
        RecoverySeries.median(affected), RecoverySeries.median(transfers), exact ? "yes" : "NO");
    System.exit(exact ? 0 : 1);
  }

  /** The members as Akka Management names them: each node's own address and which is the oldest. */
  private record Members(int oldest, String[] self) {
    /** Node {@code i}'s remoting address, {@code host:port}, or null if it did not say. */
    String address(int i) {
      String s = self[i];
      return s == null || !s.contains("@") ? null : s.substring(s.indexOf('@') + 1);
    }
  }

  /**
   * The cluster's members: Akka Management's {@code /cluster/members} names the oldest member,
   * which hosts the cluster singletons, the shard coordinators among them, and the answering
   * node itself ({@code selfNode}), so the oldest is the node that names itself with that address.
   */
  private static Members members(List<String> management) {
    LedgerClient http = new LedgerClient(null, Duration.ofSeconds(2));
    String oldest = null;
    String[] self = new String[management.size()];
    for (int i = 0; i < management.size(); i++) {
      try {
        JsonNode members = JSON.readTree(http.send(management.get(i), "/cluster/members", null,
            Duration.ofSeconds(5)).body());
        self[i] = members.path("selfNode").asText(null);
        oldest = oldest != null ? oldest : members.path("oldest").asText(null);
      } catch (IOException | RuntimeException e) {
        // this node does not answer: ask the others
      }
    }
    int index = oldest == null ? -1 : Arrays.asList(self).indexOf(oldest);
    if (index < 0) {
      throw new IllegalStateException("no node of the cluster named its oldest member (./ledger cluster status)");
    }
    return new Members(index, self);
  }
}
