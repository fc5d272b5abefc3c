package ledger.tools;

import static ledger.tools.LedgerClient.JSON;
import static ledger.tools.LedgerClient.errorCode;
import static ledger.tools.LedgerClient.parallel;
import static ledger.tools.LedgerClient.sleep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The chaos bank test, after Jepsen's bank workload and Auticuro's zero-sum chaos scenarios:
 * clients move money among a fixed set of accounts (one-leg, multi-leg, two-phase transfers that
 * they later post in full or in part, void, or leave to expire) while a fault injector SIGKILLs
 * a random node and starts it again, one node at a time, at random moments. Every answer is
 * recorded: acknowledged, refused (definitive), or unknown (503, time-out, connection lost).
 * Afterwards every unknown is settled the only way a client can: by sending the very same
 * request again until the answer is definitive. Then {@link ChaosChecks} proves the books from
 * the recorded answers alone: S1, limits, exact balances, every transfer exactly once in every
 * statement it touches, nothing left pending, every transfer record as the client was told.
 *
 * <p>Randomness comes from one seed (each client and the injector have their own generator), so a
 * seed replays the same choices; thread timing and the moments of the kills still differ.
 * {@code ./ledger chaos} runs it against {@code ./ledger cluster}; ChaosBankTest runs a short one
 * on separate node JVMs in {@code mvn verify}.
 */
public final class Chaos {
  static final String USAGE = """
      usage: ./ledger chaos [--duration 10m] [--accounts 12] [--clients 16] [--seed S]
                            [--pause 5s-30s] [--down 2s-10s] [--key API_KEY]""";
  static final String HELP = """
        --duration D      how long the clients and the faults run (90s, 10m, 1h; a bare number is seconds)
        --accounts N      regular accounts (>= 6), two currencies, mixed limits, plus one operator per currency
        --clients C       client threads, each with its own random generator from the seed
        --seed S          the seed to replay a run's choices (printed at the start)
        --pause MIN-MAX   time between a node being ready again and the next kill
        --down MIN-MAX    how long a killed node stays down before it is started again
        --key API_KEY     the API key to send (default: the environment's LEDGER_API_KEY)
      Nodes are killed and started with ./ledger cluster kill I / start I; start waits until ready.
      Exit code 0 when every check holds, 1 when one fails.""";

  static final long FUNDING = 10_000;
  static final List<String> CURRENCIES = List.of("USD", "EUR");
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final int SETTLE_ATTEMPTS = 240;
  private static final int FUNDING_ATTEMPTS = 5;

  /**
   * What to run against: node base URLs, the API key to send (null for none), regular accounts, client threads, how long, the pause
   * between faults and how long a killed node stays down (each drawn between min and max). The
   * clients go on past {@code duration} until {@code minKills} kills have been injected: a node
   * restart takes 20-40 s on a loaded box, so a short run could otherwise prove little.
   */
  public record Settings(List<String> nodes, String key, int accounts, int clients, Duration duration, Duration pauseMin,
                         Duration pauseMax, Duration downMin, Duration downMax, int minKills, long seed) {
    public Settings {
      if (nodes.size() < 3 || accounts < 6 || clients < 1) {
        throw new IllegalArgumentException("need at least 3 nodes (a majority survives a kill), 6 accounts, 1 client");
      }
    }
  }

  /** How the run kills and starts nodes (by index into the node list); start returns once the node serves. */
  public interface Nodes {
    void kill(int node) throws Exception;

    void start(int node) throws Exception;
  }

  /** One fault event, {@code atMillis} after the clients started. */
  public record Fault(long atMillis, int node, String what) {
    @Override
    public String toString() {
      return String.format("+%6.1f s  node %d %s", atMillis / 1000.0, node + 1, what);
    }
  }

  /** One property checked after the run, with the figures that show what it covered. */
  public record Check(String name, boolean ok, String figures) {
    @Override
    public String toString() {
      return String.format("  %-6s %s: %s", ok ? "ok" : "FAILED", name, figures);
    }
  }

  /** What a run did and found. {@code operations}: "kind -> outcome" counted per request sent. */
  public record Result(long seed, Map<String, Long> operations, List<Fault> faults, List<Check> checks, int transfers,
                       int acknowledged, int unknown) {
    public boolean ok() {
      return checks.stream().allMatch(Check::ok);
    }

    public Check check(String name) {
      return checks.stream().filter(c -> c.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no check " + name));
    }

    public long kills() {
      return faults.stream().filter(f -> f.what().equals("killed")).count();
    }
  }

  /** One account of the run; a null limit is unbounded (operators have no lower bound). */
  record Account(String id, String currency, Long minBalance, Long maxBalance, boolean operator) {}

  /** One leg, by index into the accounts. */
  record Leg(int debit, int credit, long amount) {}

  /** What the client will do with a two-phase transfer once it is acknowledged pending. */
  enum Plan { NONE, POST, POST_PARTIAL, VOID, EXPIRE, LATE_POST }

  /**
   * A transfer as the client knows it: the request (sent again byte for byte when its outcome
   * is unknown) and the answers. Owned by one thread at a time (its client, then the settling).
   */
  static final class Sent {
    final String id;
    final String kind;
    final List<Leg> legs;
    final boolean pending;
    final Plan plan;
    final long partial;
    final int timeoutSeconds;
    final String body;
    /** posted | pending | expired (the answer of a retry after expiry) | rejected | unknown | unexpected. */
    volatile String created;
    volatile String rejection;
    /** Of the post/void: posted | voided | expired | unknown | unexpected; null before it is sent. */
    volatile String action;
    volatile String unexpected;
    /** Client clock (nanoTime) of the first "pending" answer, and of sending the first post/void: the
     * ledger decided before the answer, so expires_at is at most ackedAt + timeout_seconds. */
    volatile long ackedAt;
    volatile long actedAt;

    Sent(String id, String kind, List<Leg> legs, boolean pending, Plan plan, long partial, int timeoutSeconds,
         String body) {
      this.id = id;
      this.kind = kind;
      this.legs = legs;
      this.pending = pending;
      this.plan = plan;
      this.partial = partial;
      this.timeoutSeconds = timeoutSeconds;
      this.body = body;
    }

    boolean hasAction() {
      return plan != Plan.NONE && plan != Plan.EXPIRE;
    }

    String actionKind() {
      return plan.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The status the ledger must show, from the definitive answers alone; "?" if they are not all in. */
    String expected() {
      String c = created;
      if (c == null) {
        return "?";
      }
      return switch (c) {
        case "rejected", "posted", "expired" -> c;
        case "pending" -> plan == Plan.EXPIRE ? "expired"
            : action != null && List.of("posted", "voided", "expired").contains(action) ? action : "?";
        default -> "?";
      };
    }

    /** The amount a posted leg moved: the partial amount of a partial post, else the leg's. */
    long postedAmount(Leg leg) {
      return plan == Plan.POST_PARTIAL && "posted".equals(action) ? partial : leg.amount();
    }
  }

  private record Due(Sent sent, long at) {}

  private final Settings settings;
  private final Nodes control;
  private final String run = "x" + Long.toString(System.currentTimeMillis(), 36);
  private final LedgerClient http;
  private final List<Account> accounts = new ArrayList<>();
  private final Map<String, List<Integer>> regularByCurrency = new TreeMap<>();
  private final Map<String, Integer> operatorOf = new TreeMap<>();
  private final ConcurrentLinkedQueue<Sent> all = new ConcurrentLinkedQueue<>();
  private final Map<String, LongAdder> operations = new ConcurrentHashMap<>();
  private final List<Fault> faults = new ArrayList<>();
  private final boolean[] live;
  private volatile boolean stop;
  private long startedAt;

  private Chaos(Settings settings, Nodes control) {
    this.settings = settings;
    this.control = control;
    this.http = new LedgerClient(settings.key(), Duration.ofSeconds(2));
    this.live = new boolean[settings.nodes().size()];
    java.util.Arrays.fill(live, true);
  }

  /** Creates and funds the accounts, runs clients and faults for the duration, settles, checks. */
  public static Result run(Settings settings, Nodes nodes) throws Exception {
    return new Chaos(settings, nodes).run();
  }

  private Result run() throws Exception {
    long seed = settings.seed();
    System.out.printf("chaos: seed %d (replay the choices with --seed %d, or -Dledger.chaos.seed=%d in ChaosBankTest)%n",
        seed, seed, seed);
    setUp();
    ExecutorService pool = Executors.newFixedThreadPool(settings.clients() + 1);
    startedAt = System.nanoTime();
    List<Future<?>> clients = new ArrayList<>();
    for (int c = 0; c < settings.clients(); c++) {
      int client = c;
      Random random = new Random(seed * 1_000_003L + client);
      clients.add(pool.submit(() -> client(client, random)));
    }
    Future<?> injector = pool.submit(() -> {
      injectFaults(new Random(seed * 1_000_003L - 1));
      return null;
    });
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
    progress.scheduleAtFixedRate(this::progress, 10, 10, TimeUnit.SECONDS);
    Thread.sleep(settings.duration().toMillis());
    while (kills() < settings.minKills() && !injector.isDone()) {
      Thread.sleep(100);
    }
    stop = true;
    for (Future<?> f : clients) {
      f.get();
    }
    System.out.printf("+%6.1f s  clients stopped; waiting for the fault injector to bring every node back%n", elapsed());
    injector.get();
    progress.shutdownNow();
    pool.shutdown();
    int unknown = (int) all.stream().filter(s -> "unknown".equals(s.created) || "unknown".equals(s.action)).count();
    settle();
    ChaosChecks checks = new ChaosChecks(accounts, new ArrayList<>(all), this::read);
    List<Check> results = checks.run();
    return report(results, unknown);
  }

  // ---- accounts -----------------------------------------------------------------------------

  /**
   * Regular accounts alternate currencies and limit shapes: no overdraft; no overdraft and a
   * ceiling (exceeds_max_balance happens); an overdraft to -FUNDING/2. Each operator (unbounded
   * below) funds its currency's accounts with FUNDING and takes part in some legs.
   */
  private void setUp() throws Exception {
    for (int i = 0; i < settings.accounts(); i++) {
      String currency = i % 3 == 2 ? "EUR" : "USD";
      Long min = i % 4 == 3 ? -FUNDING / 2 : 0L;
      Long max = i % 4 == 2 ? 2 * FUNDING : null;
      regularByCurrency.computeIfAbsent(currency, k -> new ArrayList<>()).add(accounts.size());
      accounts.add(new Account(run + "-a" + i, currency, min, max, false));
    }
    for (String currency : CURRENCIES) {
      operatorOf.put(currency, accounts.size());
      accounts.add(new Account(run + "-op-" + currency, currency, null, null, true));
    }
    parallel(accounts.size(), i -> {
      createAccount(accounts.get(i));
      return null;
    });
    // A funding rejected (transfer_timed_out while a just-formed cluster is still busy) posted
    // nothing: a new transfer funds the account instead, and the rejected one is checked as such.
    List<Sent> funding = java.util.Collections.synchronizedList(new ArrayList<>());
    parallel(settings.accounts(), i -> {
      Leg leg = new Leg(operatorOf.get(accounts.get(i).currency()), i, FUNDING);
      for (int attempt = 0; attempt < FUNDING_ATTEMPTS; attempt++) {
        Sent s = sent(run + "-fund-" + i + (attempt == 0 ? "" : "-" + attempt), "funding", List.of(leg), false,
            Plan.NONE, 0, 0, false);
        funding.add(s);
        settleCreate(s);
        if ("posted".equals(s.created)) {
          return null;
        }
        if (!"rejected".equals(s.created) || !"transfer_timed_out".equals(s.rejection)) {
          throw new IllegalStateException("funding " + s.id + " answered " + s.created
              + (s.rejection == null ? "" : " " + s.rejection));
        }
      }
      throw new IllegalStateException("funding of " + accounts.get(i).id() + " was rejected " + FUNDING_ATTEMPTS + " times");
    });
    all.addAll(funding);
    System.out.printf("chaos run %s: %d accounts (%s), each funded %d by its currency's operator; %d clients for %s;"
            + " faults: a kill every %s-%s after the last node is back, down %s-%s%n", run, settings.accounts(),
        describeAccounts(), FUNDING, settings.clients(), settings.duration(), settings.pauseMin(), settings.pauseMax(),
        settings.downMin(), settings.downMax());
  }

  private String describeAccounts() {
    Map<String, Integer> shapes = new TreeMap<>();
    for (Account a : accounts) {
      if (!a.operator()) {
        String shape = a.currency() + " min " + a.minBalance() + (a.maxBalance() == null ? "" : " max " + a.maxBalance());
        shapes.merge(shape, 1, Integer::sum);
      }
    }
    return shapes.toString();
  }

  private void createAccount(Account a) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", a.id()).put("currency", a.currency());
    body.put("min_balance", a.minBalance());
    body.put("max_balance", a.maxBalance());
    for (int attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      try {
        HttpResponse<String> r = http.send(node(attempt), "/accounts", body.toString(), REQUEST_TIMEOUT);
        if (r.statusCode() == 201 || r.statusCode() == 200) {
          return;
        }
        if (r.statusCode() != 503) {
          throw new IllegalStateException("POST /accounts " + a.id() + " answered " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        // unknown: the same request again
      }
      sleep(500);
    }
    throw new IllegalStateException("account " + a.id() + " could not be created");
  }

  // ---- clients ------------------------------------------------------------------------------

  /** One client: new transfers, and the post/void of its acknowledged pending ones when due. */
  private void client(int client, Random random) {
    PriorityQueue<Due> due = new PriorityQueue<>(Comparator.comparingLong(Due::at));
    long n = 0;
    while (!stop) {
      Due next = due.peek();
      if (next != null && next.at() <= System.nanoTime()) {
        due.poll();
        count(next.sent().actionKind(), act(next.sent(), liveNode(random)));
        continue;
      }
      Sent s = newTransfer(run + "-c" + client + "-" + n++, random);
      all.add(s);
      count(s.kind, create(s, liveNode(random)));
      if (s.hasAction() && "pending".equals(s.created)) {
        long delay = s.plan == Plan.LATE_POST ? s.timeoutSeconds * 1000L + 500 + random.nextInt(1500)
            : random.nextInt(1500);
        due.add(new Due(s, System.nanoTime() + delay * 1_000_000));
      }
    }
  }

  /** 40 % one-leg, 25 % multi-leg (2-4 legs), 35 % two-phase (one or more legs) with a plan. */
  private Sent newTransfer(String id, Random random) {
    int shape = random.nextInt(100);
    boolean pending = shape >= 65;
    int legCount = shape < 40 ? 1 : shape < 65 ? 2 + random.nextInt(3) : random.nextBoolean() ? 1 : 2 + random.nextInt(2);
    List<Leg> legs = new ArrayList<>();
    for (int i = 0; i < legCount; i++) {
      legs.add(leg(random));
    }
    if (!pending) {
      return sent(id, legCount == 1 ? "one_leg" : "multi_leg", legs, false, Plan.NONE, 0, 0, legCount > 1);
    }
    int p = random.nextInt(100);
    Plan plan = p < 30 ? Plan.POST : p < 45 ? Plan.POST_PARTIAL : p < 75 ? Plan.VOID : p < 88 ? Plan.EXPIRE
        : Plan.LATE_POST;
    if (plan == Plan.POST_PARTIAL && (legCount > 1 || legs.get(0).amount() < 2)) {
      plan = Plan.POST;
    }
    long partial = plan == Plan.POST_PARTIAL ? 1 + random.nextInt((int) legs.get(0).amount() - 1) : 0;
    int timeout = plan == Plan.EXPIRE || plan == Plan.LATE_POST ? 1 + random.nextInt(2) : 0;
    return sent(id, "pending", legs, true, plan, partial, timeout, legCount > 1);
  }

  /** Two distinct accounts of a currency; one side is the operator one time in ten. */
  private Leg leg(Random random) {
    String currency = random.nextInt(3) < 2 ? "USD" : "EUR";
    List<Integer> pool = regularByCurrency.get(currency);
    int debit = pool.get(random.nextInt(pool.size()));
    int credit = pool.get(random.nextInt(pool.size()));
    while (credit == debit) {
      credit = pool.get(random.nextInt(pool.size()));
    }
    if (random.nextInt(10) == 0) {
      if (random.nextBoolean()) {
        debit = operatorOf.get(currency);
      } else {
        credit = operatorOf.get(currency);
      }
    }
    return new Leg(debit, credit, 1 + random.nextInt((int) FUNDING / 3));
  }

  private Sent sent(String id, String kind, List<Leg> legs, boolean pending, Plan plan, long partial, int timeout,
                    boolean legsForm) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", id);
    if (legsForm) {
      ArrayNode array = body.putArray("legs");
      for (Leg leg : legs) {
        legJson(array.addObject(), leg);
      }
    } else {
      legJson(body, legs.get(0));
    }
    if (pending) {
      body.put("pending", true);
      if (timeout > 0) {
        body.put("timeout_seconds", timeout);
      }
    }
    return new Sent(id, kind, List.copyOf(legs), pending, plan, partial, timeout, body.toString());
  }

  private void legJson(ObjectNode o, Leg leg) {
    o.put("debit_account_id", accounts.get(leg.debit()).id());
    o.put("credit_account_id", accounts.get(leg.credit()).id());
    o.put("amount", leg.amount());
    o.put("currency", accounts.get(leg.debit()).currency());
  }

  /** Sends the create once and records the answer; returns the outcome label for the counts. */
  private String create(Sent s, String node) {
    try {
      HttpResponse<String> r = http.send(node, "/transfers", s.body, REQUEST_TIMEOUT);
      int status = r.statusCode();
      if (status == 200 || status == 201) {
        s.created = JSON.readTree(r.body()).path("status").asText();
        if (s.created.equals("pending") && s.ackedAt == 0) {
          s.ackedAt = System.nanoTime();
        }
        return s.created;
      }
      if (status == 422) {
        s.created = "rejected";
        s.rejection = errorCode(r.body());
        return "rejected " + s.rejection;
      }
      if (status == 503) {
        s.created = "unknown";
        return "unknown (503 " + errorCode(r.body()) + ")";
      }
      s.created = "unexpected";
      s.unexpected = "create answered " + status + " " + r.body();
      return "unexpected " + status + " " + errorCode(r.body());
    } catch (HttpTimeoutException e) {
      s.created = "unknown";
      return "unknown (time-out)";
    } catch (IOException e) {
      s.created = "unknown";
      return "unknown (connection)";
    }
  }

  /** Sends the post (full or partial) or void once and records the answer. */
  private String act(Sent s, String node) {
    boolean post = s.plan != Plan.VOID;
    String body = s.plan == Plan.POST_PARTIAL ? "{\"amount\":" + s.partial + "}" : "{}";
    if (s.actedAt == 0) {
      s.actedAt = System.nanoTime();
    }
    try {
      HttpResponse<String> r = http.send(node, "/transfers/" + s.id + (post ? "/post" : "/void"), body, REQUEST_TIMEOUT);
      int status = r.statusCode();
      if (status == 200) {
        s.action = JSON.readTree(r.body()).path("status").asText();
        return s.action;
      }
      if (status == 409 && errorCode(r.body()).equals("transfer_expired")) {
        s.action = "expired";
        return "expired (409 transfer_expired)";
      }
      if (status == 503) {
        s.action = "unknown";
        return "unknown (503 " + errorCode(r.body()) + ")";
      }
      s.action = "unexpected";
      s.unexpected = (post ? "post" : "void") + " answered " + status + " " + r.body();
      return "unexpected " + status + " " + errorCode(r.body());
    } catch (HttpTimeoutException e) {
      s.action = "unknown";
      return "unknown (time-out)";
    } catch (IOException e) {
      s.action = "unknown";
      return "unknown (connection)";
    }
  }

  private void count(String kind, String outcome) {
    operations.computeIfAbsent(kind + " -> " + outcome, k -> new LongAdder()).increment();
  }

  private String liveNode(Random random) {
    int n = live.length;
    int start = random.nextInt(n);
    for (int i = 0; i < n; i++) {
      if (live[(start + i) % n]) {
        return settings.nodes().get((start + i) % n);
      }
    }
    return settings.nodes().get(start);
  }

  /** Node {@code k} mod the count, skipping a dead one: spreads retries over the nodes. */
  private String node(int k) {
    int n = live.length;
    for (int i = 0; i < n; i++) {
      int index = Math.floorMod(k + i, n);
      if (live[index]) {
        return settings.nodes().get(index);
      }
    }
    return settings.nodes().get(Math.floorMod(k, n));
  }

  // ---- faults -------------------------------------------------------------------------------

  /**
   * Kill a random node, keep it down a random while, start it again and wait until it serves,
   * pause, repeat; never two down at once, so a majority always remains. A node down when the
   * clients stop is still started again before this returns.
   */
  private void injectFaults(Random random) throws Exception {
    while (true) {
      long pause = between(random, settings.pauseMin(), settings.pauseMax());
      long until = System.nanoTime() + pause * 1_000_000;
      while (!stop && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      if (stop) {
        return;
      }
      int node = random.nextInt(live.length);
      long down = between(random, settings.downMin(), settings.downMax());
      live[node] = false;
      control.kill(node);
      fault(node, "killed");
      Thread.sleep(down);
      fault(node, "starting again (down " + down + " ms)");
      control.start(node);
      live[node] = true;
      fault(node, "ready again");
    }
  }

  private static long between(Random random, Duration min, Duration max) {
    long lo = min.toMillis();
    long hi = Math.max(lo, max.toMillis());
    return lo + (long) (random.nextDouble() * (hi - lo));
  }

  private void fault(int node, String what) {
    Fault f = new Fault((System.nanoTime() - startedAt) / 1_000_000, node, what);
    synchronized (faults) {
      faults.add(f);
    }
    System.out.println(f);
  }

  private long kills() {
    synchronized (faults) {
      return faults.stream().filter(f -> f.what().equals("killed")).count();
    }
  }

  private double elapsed() {
    return (System.nanoTime() - startedAt) / 1e9;
  }

  private void progress() {
    long requests = operations.values().stream().mapToLong(LongAdder::sum).sum();
    long unknown = operations.entrySet().stream().filter(e -> e.getKey().contains("-> unknown"))
        .mapToLong(e -> e.getValue().sum()).sum();
    List<Integer> up = new ArrayList<>();
    for (int i = 0; i < live.length; i++) {
      if (live[i]) {
        up.add(i + 1);
      }
    }
    System.out.printf("+%6.1f s  %d requests, %d unknown outcomes so far; nodes up %s%n", elapsed(), requests,
        unknown, up);
  }

  // ---- settling -----------------------------------------------------------------------------

  /**
   * Every create of unknown outcome is sent again until definitive; then every acknowledged
   * pending transfer whose post/void was unknown, or not sent yet (the run ended, or its create
   * was unknown until now), is posted/voided as planned, again until definitive.
   */
  private void settle() throws Exception {
    long began = System.nanoTime();
    List<Sent> creates = all.stream().filter(s -> "unknown".equals(s.created)).toList();
    parallel(creates.size(), i -> {
      settleCreate(creates.get(i));
      count("settle " + creates.get(i).kind, creates.get(i).created);
      return null;
    });
    List<Sent> actions = all.stream().filter(s -> s.hasAction() && "pending".equals(s.created)
        && (s.action == null || "unknown".equals(s.action))).toList();
    parallel(actions.size(), i -> {
      Sent s = actions.get(i);
      boolean retried = s.action != null;
      for (int attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
        act(s, node(i + attempt));
        if (!"unknown".equals(s.action)) {
          break;
        }
        sleep(500);
      }
      count((retried ? "settle " : "after the run ") + s.actionKind(), s.action);
      return null;
    });
    System.out.printf("settled %d creates and %d posts/voids of unknown or not yet known outcome in %.1f s%n",
        creates.size(), actions.size(), (System.nanoTime() - began) / 1e9);
  }

  private void settleCreate(Sent s) {
    int k = Math.floorMod(s.id.hashCode(), live.length);
    for (int attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      create(s, node(k + attempt));
      if (!"unknown".equals(s.created)) {
        return;
      }
      sleep(500);
    }
  }

  /** A GET of the cluster (an account, a transfer, a statement page), retried while it is unavailable. */
  private JsonNode read(String path) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int attempt = 0; ; attempt++) {
      try {
        HttpResponse<String> r = http.send(node(attempt + path.hashCode()), path, null, REQUEST_TIMEOUT);
        if (r.statusCode() == 200) {
          return JSON.readTree(r.body());
        }
        if (r.statusCode() != 503 || System.nanoTime() > deadline) {
          throw new IllegalStateException("GET " + path + " answered " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      sleep(300);
    }
  }

  // ---- report -------------------------------------------------------------------------------

  private Result report(List<Check> checks, int unknown) {
    Map<String, Long> ops = new TreeMap<>();
    operations.forEach((k, v) -> ops.put(k, v.sum()));
    System.out.printf("%noperations (kind -> outcome: requests; 'settle' = the same request sent again after the run):%n");
    ops.forEach((k, v) -> System.out.printf("  %-58s %7d%n", k, v));
    List<Fault> faultList;
    synchronized (faults) {
      faultList = List.copyOf(faults);
    }
    System.out.printf("faults injected (%d kills):%n", faultList.stream().filter(f -> f.what().equals("killed")).count());
    faultList.forEach(f -> System.out.println("  " + f));
    System.out.println("checks:");
    checks.forEach(System.out::println);
    int acknowledged = (int) all.stream().filter(s -> !s.kind.equals("funding")
        && ("posted".equals(s.created) || "pending".equals(s.created))).count();
    Result result = new Result(settings.seed(), ops, faultList, checks, all.size(), acknowledged, unknown);
    System.out.printf("chaos %s: %d transfers (%d acknowledged), %d unknown outcomes settled, seed %d%n",
        result.ok() ? "PASSED" : "FAILED", all.size(), acknowledged, unknown, settings.seed());
    return result;
  }

  // ---- command line -------------------------------------------------------------------------

  /** {@code ./ledger chaos}: against the cluster of {@code ./ledger cluster up}. */
  public static void main(String[] args) throws Exception {
    Settings settings;
    try {
      CommandLine given = CommandLine.parse(args, Set.of("nodes", "duration", "accounts", "clients", "seed", "pause",
          "down"), Set.of());
      if (given.flag("help")) {
        System.out.println(USAGE);
        System.out.println(HELP);
        return;
      }
      settings = settings(given);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    Result result = run(settings, new ClusterScript());
    System.exit(result.ok() ? 0 : 1);
  }

  /** The node URLs come from ./ledger, the one place that knows the local cluster's addresses. */
  static Settings settings(CommandLine given) {
    Duration[] pause = given.range("pause", "5s-30s");
    Duration[] down = given.range("down", "2s-10s");
    return new Settings(given.list("nodes", List.of()), LedgerClient.key(given), given.whole("accounts", 12),
        given.whole("clients", 16), given.duration("duration", "10m"), pause[0], pause[1], down[0], down[1], 0,
        given.wholeLong("seed", System.nanoTime()));
  }
}
