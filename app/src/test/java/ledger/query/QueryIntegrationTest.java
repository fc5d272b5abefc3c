package ledger.query;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import ledger.cassandra.CassandraConnection;
import ledger.testing.CassandraReads;
import ledger.testing.OwnNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The query side end to end on the embedded Cassandra: a concurrent workload of transfers, then
 * every account's statement, balance and transfers match its entity exactly; min_version waits
 * for the projection or refuses with data_not_ready; bad parameters are 400; and a rebuild
 * (query tables and offsets emptied, node restarted) gives back identical answers. One node, one
 * scenario: each step builds on the ones before and they run in name order, so a failure names
 * the step (the metrics step counts the one 503 of the min_version step).
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class QueryIntegrationTest {
  private static final String KEYSPACE = "it_query";
  private static final int ACCOUNTS = 16;
  private static final int CLIENTS = 4;
  private static final int TRANSFERS_PER_CLIENT = 30;
  private static final long SEED = Long.getLong("ledger.it.seed", System.nanoTime());
  private static final int HTTP_PORT = TestNodes.freePort();
  private static final int REMOTING_PORT = TestNodes.freePort();

  @ClassRule
  public static final OwnNode node = new OwnNode(QueryIntegrationTest::config);
  private static TestHttp http;
  /** The accounts the workload and the min_version step made, their versions, and their answers. */
  private static List<String> ids;
  private static final Map<String, Long> versions = new TreeMap<>();
  private static final Map<String, String> answers = new TreeMap<>();

  private static Config config() {
    return TestNodes.onCassandra(KEYSPACE, Map.of(
        "ledger.http.port", HTTP_PORT,
        "akka.remote.artery.canonical.port", REMOTING_PORT,
        "ledger.recon.enabled", "off",
        "ledger.query.page-size-max", 50));
  }

  @BeforeClass
  public static void connect() {
    System.out.println("QueryIntegrationTest seed=" + SEED);
    http = node.http();
  }

  @Test
  public void step1_aConcurrentWorkloadOfOneAndTwoPhaseTransfersIsAnswered() throws Exception {
    ids = workload();
  }

  @Test
  public void step2_minVersionSeesTheWriteOrRefusesDataNotReady() {
    checkMinVersion();
    ids.add("ryw");
  }

  @Test
  public void step3_everyStatementBalanceAndTransfersMatchTheEntity() {
    for (String id : ids) {
      versions.put(id, http.get("/accounts/" + id).json().get("version").asLong());
    }
    for (String id : ids) {
      answers.put(id, checkAccount(id, versions.get(id)));
    }
  }

  @Test
  public void step4_theListingPagesEveryAccountOnceAndFilters() throws Exception {
    checkListing(ids);
  }

  @Test
  public void step5_badParametersAre400() {
    checkParameters(ids.get(1));
  }

  @Test
  public void step6_theMetricsCountRequestsAndOutcomesWithoutIds() {
    checkMetrics();
  }

  @Test
  public void step7_queriesReadBoundedRows() throws Exception {
    try (CqlSession cql = CassandraConnection.openSession(config())) {
      checkCosts(cql);
    }
  }

  @Test
  public void step8_aRebuildGivesBackIdenticalAnswers() {
    node.restart(() -> QueryRebuild.run(config()));
    assertEquals("the query tables are empty after a rebuild", 404,
        http.get("/accounts/" + ids.get(0) + "/entries").status());
    for (String id : ids) {
      assertEquals("rebuilt rows of " + id, answers.get(id), checkAccount(id, versions.get(id)));
    }
  }

  /** Accounts funded from an operator account, then concurrent random transfers, some two-phase. */
  private List<String> workload() throws Exception {
    create("{\"id\":\"op\",\"currency\":\"USD\",\"min_balance\":null}");
    List<String> ids = new ArrayList<>(List.of("op"));
    for (int i = 0; i < ACCOUNTS; i++) {
      create("{\"id\":\"q" + i + "\",\"currency\":\"USD\"}");
      ids.add("q" + i);
      assertEquals(201, transfer("fund-" + i, "op", "q" + i, 500, ""));
    }
    create("{\"id\":\"eur-1\",\"currency\":\"EUR\"}");
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      Random random = new Random(SEED + c);
      int client = c;
      running.add(pool.submit(() -> {
        for (int i = 0; i < TRANSFERS_PER_CLIENT; i++) {
          int from = random.nextInt(ACCOUNTS);
          int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
          String id = "w" + client + "-" + i;
          boolean twoPhase = i % 7 == 3;
          int status = transfer(id, "q" + from, "q" + to, 1 + random.nextInt(300),
              twoPhase ? ",\"pending\":true" : "");
          if (twoPhase && status == 201) {
            assertEquals(200, (i % 2 == 0 ? http.post("/transfers/" + id + "/void")
                : http.post("/transfers/" + id + "/post", "{}")).status());
          }
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    http.post("/accounts/q3/lock");
    return ids;
  }

  private void create(String body) {
    Response r = http.post("/accounts", body);
    assertEquals(r.body(), 201, r.status());
  }

  private int transfer(String id, String from, String to, long amount, String extra) {
    Response r = http.post("/transfers", "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + from
        + "\",\"credit_account_id\":\"" + to + "\",\"amount\":" + amount + ",\"currency\":\"USD\"" + extra + "}");
    assertTrue(r.body(), r.status() == 201 || r.status() == 422);
    return r.status();
  }

  /**
   * Reads the account's whole statement (paged), balance and transfers once the query side has
   * its version, checks them against the entity and returns them, for the rebuild comparison.
   */
  private String checkAccount(String id, long version) {
    JsonNode account = http.get("/accounts/" + id).json();
    JsonNode balance = http.get("/accounts/" + id + "/balance?min_version=" + version).json();
    for (String f : List.of("debits_posted", "credits_posted", "debits_pending", "credits_pending", "balance",
        "available", "version")) {
      assertEquals(id + " " + f, account.get(f).asLong(), balance.get(f).asLong());
    }
    List<JsonNode> entries = new ArrayList<>();
    String after = "0";
    while (after != null) {
      JsonNode page = http.get("/accounts/" + id + "/entries?limit=7&after_version=" + after + "&min_version="
          + version).json();
      page.get("entries").forEach(entries::add);
      after = page.get("next").isNull() ? null : page.get("next").asText();
    }
    // The statement explains the balance: posted entries sum to it, and the last balance_after is it.
    long posted = 0;
    long lastVersion = 0;
    Map<String, String> legStatus = new HashMap<>();
    for (JsonNode e : entries) {
      assertTrue("versions ascend", e.get("version").asLong() >= lastVersion);
      lastVersion = e.get("version").asLong();
      if (e.get("status").asText().equals("posted")) {
        posted += (e.get("side").asText().equals("credit") ? 1 : -1) * e.get("amount").asLong();
      }
      legStatus.put(e.get("transfer_id").asText() + "/" + e.get("side").asText(), e.get("status").asText());
    }
    assertEquals(id + " posted entries sum to the balance", account.get("balance").asLong(), posted);
    if (!entries.isEmpty()) {
      JsonNode last = entries.get(entries.size() - 1);
      long lastLegVersion = last.get("version").asLong();
      JsonNode atThen = http.get("/accounts/" + id + "/balance?at=" + last.get("at").asText()).json();
      assertEquals(last.get("balance_after").asLong(), atThen.get("balance").asLong());
      assertTrue(atThen.get("version").asLong() >= lastLegVersion);
      if (account.get("debits_pending").asLong() == 0 && account.get("credits_pending").asLong() == 0) {
        assertEquals(account.get("balance").asLong(), last.get("balance_after").asLong());
        assertEquals(account.get("available").asLong(), last.get("available_after").asLong());
      }
    }
    // Every transfer the account saw, newest first, with the coordinator's outcome.
    List<JsonNode> transfers = new ArrayList<>();
    String before = null;
    do {
      JsonNode page = http.get("/accounts/" + id + "/transfers?limit=9&min_version=" + version
          + (before == null ? "" : "&after=" + before)).json();
      page.get("transfers").forEach(transfers::add);
      before = page.get("next").isNull() ? null : page.get("next").asText();
    } while (before != null);
    long previous = Long.MAX_VALUE;
    Set<String> inStatement = new java.util.HashSet<>();
    for (JsonNode t : transfers) {
      assertTrue("newest first", t.get("version").asLong() < previous);
      previous = t.get("version").asLong();
      JsonNode transfer = http.get("/transfers/" + t.get("transfer_id").asText()).json();
      String status = transfer.get("status").asText();
      if (!status.equals("rejected") || transfer.get("pending").asBoolean()) {
        inStatement.add(t.get("transfer_id").asText()); // a one-phase transfer another account refused is no entry
      }
      String expected = switch (status) {
        case "posted" -> "posted";
        case "pending" -> "pending";
        default -> "voided";
      };
      assertEquals(id + " " + t, expected, t.get("status").asText());
    }
    assertEquals(inStatement,
        legStatus.keySet().stream().map(k -> k.split("/")[0]).collect(java.util.stream.Collectors.toSet()));
    return balance + "\n" + entries + "\n" + transfers;
  }

  private void checkListing(List<String> ids) throws Exception {
    Set<String> seen = new HashSet<>();
    String after = null;
    int pages = 0;
    do {
      JsonNode page = http.get("/accounts?currency=USD&limit=5" + (after == null ? "" : "&after=" + after)).json();
      for (JsonNode a : page.get("accounts")) {
        assertEquals("USD", a.get("currency").asText());
        assertTrue("each account once", seen.add(a.get("id").asText()));
      }
      after = page.get("next").isNull() ? null : page.get("next").asText();
      assertTrue(++pages < 100);
    } while (after != null);
    assertEquals(new HashSet<>(ids), seen);
    JsonNode eur = http.get("/accounts?currency=EUR").json().get("accounts");
    assertEquals(1, eur.size());
    assertEquals("eur-1", eur.get(0).get("id").asText());
    JsonNode locked = http.get("/accounts?status=locked").json().get("accounts");
    assertEquals(1, locked.size());
    assertEquals("q3", locked.get(0).get("id").asText());
    assertEquals(http.get("/accounts/q3").json().toString(), locked.get(0).toString());
  }

  private void checkParameters(String id) {
    assertBad("/accounts?limit=0", "invalid_page_limit");
    assertBad("/accounts?limit=51", "invalid_page_limit");
    assertBad("/accounts?limit=ten", "invalid_page_limit");
    assertBad("/accounts?currency=usd", "invalid_currency");
    assertBad("/accounts?status=frozen", "invalid_status");
    assertBad("/accounts?after=%20x", "invalid_id");
    assertBad("/accounts?sort=id", "unknown_parameter");
    assertBad("/accounts/" + id + "/entries?after_version=-1", "invalid_version");
    assertBad("/accounts/" + id + "/entries?min_version=99999999999999999999", "invalid_version");
    assertBad("/accounts/" + id + "/entries?limit=1000", "invalid_page_limit");
    assertBad("/accounts/" + id + "/balance?at=yesterday", "invalid_time");
    assertBad("/accounts/" + id + "/transfers?after=x", "invalid_version");
    assertBad("/accounts/" + id + "/transfers?page=2", "unknown_parameter");
    assertEquals(404, http.get("/accounts/nobody/entries").status());
    // The largest version: an empty page at once (after_version + 1 once overflowed into an endless bucket walk).
    long started = System.nanoTime();
    Response last = http.get("/accounts/" + id + "/entries?after_version=9223372036854775807");
    assertEquals(last.body(), 200, last.status());
    assertEquals(0, last.json().get("entries").size());
    assertTrue("answered at once", System.nanoTime() - started < 2_000_000_000L);
    assertEquals("account_not_found", http.get("/accounts/nobody/balance").errorCode());
    assertEquals("account_not_found", http.get("/accounts/" + id + "/balance?at=2000-01-01T00:00:00.000Z")
        .errorCode());
  }

  private void assertBad(String path, String code) {
    Response r = http.get(path);
    assertEquals(path + " " + r.body(), 400, r.status());
    assertEquals(path, code, r.errorCode());
  }

  /** A write is visible to a reader that passes its version; a version not yet reached is refused. */
  private void checkMinVersion() {
    create("{\"id\":\"ryw\",\"currency\":\"USD\"}");
    assertEquals(201, transfer("ryw-1", "op", "ryw", 42, ""));
    long version = http.get("/accounts/ryw").json().get("version").asLong();
    JsonNode entries = http.get("/accounts/ryw/entries?min_version=" + version).json().get("entries");
    assertEquals("a one-phase transfer is one entry: " + entries, 1, entries.size());
    assertEquals("posted", entries.get(0).get("status").asText());
    assertEquals(42, entries.get(0).get("amount").asLong());
    assertEquals(42, entries.get(0).get("balance_after").asLong());
    long started = System.nanoTime();
    Response notYet = http.get("/accounts/ryw/entries?min_version=" + (version + 1));
    long waitedMs = (System.nanoTime() - started) / 1_000_000;
    assertEquals(notYet.body(), 503, notYet.status());
    assertEquals("data_not_ready", notYet.errorCode());
    assertEquals(version, notYet.json().get("error").get("available_version").asLong());
    assertEquals("1", notYet.headers().firstValue("Retry-After").orElse(""));
    assertTrue("waited about min-version-wait (3s), not " + waitedMs + " ms", waitedMs >= 2900 && waitedMs < 10_000);
  }

  private void checkMetrics() {
    Response r = http.get("/metrics");
    assertEquals(200, r.status());
    String text = r.body();
    assertTrue(text, text.contains("ledger_http_requests_total{method=\"GET\",route=\"/accounts/{id}/entries\","
        + "status=\"200\",}"));
    assertTrue(text.contains("ledger_http_requests_total{method=\"GET\",route=\"/accounts/{id}/entries\","
        + "status=\"503\",} 1.0"));
    assertTrue(text.contains("ledger_transfer_outcomes_total{status=\"posted\",code=\"\",}"));
    assertTrue(text.contains("ledger_projection_lag_seconds{tag=\"account-"));
    assertTrue(text.contains("ledger_journal_persist_seconds_count"));
    assertFalse("ids never become labels", text.contains("ryw"));
    assertNotNull(Instant.now());
  }

  // ---- what queries cost (issue 14 item 3, issue 15 item 5) ---------------------------------------

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /**
   * Query rows written straight into Cassandra, for accounts no entity has: "zz-000".."zz-399"
   * (every 40th in GBP), "deep" with one entry in each of 61 version buckets (one a minute), and
   * "sparse" at version 100,000,000 with its only entry at version 1. Then the Cassandra reads
   * (partition reads, Cassandra's own count) of a listing page, a filtered listing, balance?at,
   * ten readers waiting for a version, and a statement over versions without entries.
   */
  private void checkCosts(CqlSession cql) throws Exception {
    QuerySettings q = QuerySettings.fromConfig(config());
    for (int i = 0; i < 400; i++) {
      listingRow(cql, q, String.format("zz-%03d", i), i % 40 == 7 ? "GBP" : "USD", 1);
    }
    listingRow(cql, q, "deep", "USD", 60_999);
    for (int b = 0; b <= 60; b++) {
      execute(cql, "INSERT INTO " + KEYSPACE + ".account_entries (account_id, bucket, version, side, transfer_id, "
          + "amount, status, debits_posted, credits_posted, debits_pending, credits_pending, at) VALUES ('deep', ?, ?, "
          + "'credit', ?, 1, 'posted', 0, ?, 0, 0, ?)", (long) b, b * 1000L + 1, "t" + b, b + 1L,
          T0.plusSeconds(60L * b));
    }
    listingRow(cql, q, "sparse", "USD", 100_000_000);
    execute(cql, "INSERT INTO " + KEYSPACE + ".account_entries (account_id, bucket, version, side, transfer_id, "
        + "amount, status, debits_posted, credits_posted, debits_pending, credits_pending, at) VALUES ('sparse', 0, 1, "
        + "'credit', 's1', 5, 'posted', 0, 5, 0, 0, ?)", T0);

    long listing = reads(cql, "account_list", () -> assertEquals(200, http.get("/accounts?limit=50").status()));
    int[] pages = {0};
    Set<String> gbp = new HashSet<>();
    long filtered = reads(cql, "account_list", () -> {
      String after = null;
      do {
        JsonNode page = http.get("/accounts?currency=GBP&limit=5" + (after == null ? "" : "&after=" + after)).json();
        page.get("accounts").forEach(a -> gbp.add(a.get("id").asText()));
        after = page.get("next").isNull() ? null : page.get("next").asText();
        pages[0]++;
      } while (after != null && pages[0] < 200);
    });
    JsonNode[] atThen = new JsonNode[1];
    long balanceAt = reads(cql, "account_entries",
        () -> atThen[0] = http.get("/accounts/deep/balance?at=2026-01-01T00:05:30Z").json());
    long waiting = reads(cql, "account_list", () -> {
      ExecutorService pool = Executors.newFixedThreadPool(10);
      List<Future<Response>> readers = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        readers.add(pool.submit(() -> http.get("/accounts/deep/balance?min_version=61000")));
      }
      for (Future<Response> r : readers) {
        assertEquals("data_not_ready", r.get(30, TimeUnit.SECONDS).errorCode());
      }
      pool.shutdown();
    });
    System.out.println("QueryIntegrationTest costs (Cassandra partition reads): listing page of 50: " + listing
        + "; GBP listing, limit 5: " + filtered + " in " + pages[0] + " pages; balance?at over 61 buckets: "
        + balanceAt + "; 10 readers waiting 3 s for a version: " + waiting);
    assertEquals(10, gbp.size());
    assertEquals(5001, atThen[0].get("version").asLong());
    assertEquals(6, atThen[0].get("credits_posted").asLong());
    assertTrue("balance?at searches the buckets, not walks them: " + balanceAt, balanceAt <= 10);
    assertTrue("readers of one account share its polls: " + waiting, waiting <= 35);

    // A statement over 100,000 buckets without entries: a short page with a cursor, at once, not
    // a walk until Akka's request timeout (and on after it).
    long started = System.nanoTime();
    long[] next = new long[1];
    long sparse = reads(cql, "account_entries", () -> {
      Response r = http.get("/accounts/sparse/entries?after_version=1");
      assertEquals(r.body(), 200, r.status());
      assertEquals(0, r.json().get("entries").size());
      next[0] = r.json().get("next").asLong();
    });
    assertTrue("answered at once", System.nanoTime() - started < 5_000_000_000L);
    assertTrue("bounded: " + sparse, sparse <= q.readsPerRequestMax());
    assertTrue("the cursor moves on: " + next[0], next[0] > 1000);
    Response transfers = http.get("/accounts/sparse/transfers");
    assertEquals(transfers.body(), 200, transfers.status());
    assertTrue(transfers.body(), transfers.json().get("next").asLong() > 99_000_000L);
    System.out.println("QueryIntegrationTest costs: a statement page over versions without entries: " + sparse
        + " reads, next " + next[0]);
  }

  private static void listingRow(CqlSession cql, QuerySettings q, String id, String currency, long version) {
    execute(cql, "UPDATE " + KEYSPACE + ".account_list SET currency = ?, status = 'open', metadata = {}, "
        + "debits_posted = 0, credits_posted = 0, debits_pending = 0, credits_pending = 0, version = ?, "
        + "created_at = ?, updated_at = ? WHERE bucket = ? AND account_id = ?", currency, version, T0, T0,
        q.listingBucket(id), id);
  }

  private static void execute(CqlSession cql, String statement, Object... values) {
    cql.execute(SimpleStatement.newInstance(statement, values));
  }

  private interface Step {
    void run() throws Exception;
  }

  /** The reads of {@code table} that the step caused. */
  private static long reads(CqlSession cql, String table, Step step) throws Exception {
    long before = CassandraReads.reads(cql, KEYSPACE, table);
    step.run();
    return CassandraReads.reads(cql, KEYSPACE, table) - before;
  }
}
