package ledger.recon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import ledger.LedgerNode;
import ledger.cassandra.CassandraConnection;
import ledger.cassandra.CassandraSchema;
import ledger.query.QuerySettings;
import ledger.testing.CassandraReads;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The recon engine on the embedded Cassandra: balanced books after a workload (with a two-phase
 * transfer legitimately pending past its prepare deadline), then four corruptions made directly
 * in Cassandra, and GET /recon reports exactly those four divergences. One node, one scenario:
 * each step builds on the ones before and they run in name order, so a failure names the step.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ReconIntegrationTest {
  private static final String KEYSPACE = "it_recon";
  private static final int ACCOUNTS = 6;
  private static final int HTTP_PORT = TestNodes.freePort();

  private static LedgerNode node;
  private static TestHttp http;
  private static CqlSession cql;

  private static Config config() {
    return TestNodes.onCassandra(KEYSPACE, Map.of(
        "ledger.http.port", HTTP_PORT,
        "ledger.recon.interval", "1h",
        "ledger.recon.settle-time", "2s",
        "ledger.recon.s1-attempts", 2,
        "ledger.recon.sample-size", 3,
        // Every tag has an account (r0..r3 alone cover 4 tags), so the projections' offsets give
        // the pending-leg floor (with a tag without events the floor is unknown and every run
        // reads the whole lookback).
        "ledger.projection.tag-count", 4));
  }

  @BeforeClass
  public static void start() {
    CassandraSchema.apply(config());
    node = LedgerNode.start(config(), Duration.ofSeconds(60));
    http = new TestHttp("http://127.0.0.1:" + HTTP_PORT);
    cql = CassandraConnection.openSession(config());
  }

  @AfterClass
  public static void stop() {
    cql.close();
    node.stop(Duration.ofSeconds(60));
  }

  @Test
  public void step1_beforeAnyRunTheReportIsNotRun() {
    assertEquals("not_run", http.get("/recon").json().get("status").asText());
  }

  @Test
  public void step2_afterAWorkloadAFullRunFindsTheBooksBalanced() throws Exception {
    workload();
    Thread.sleep(5_500); // past the pending legs' prepare deadline (3s) and the settle time (2s)
    JsonNode clean = run("?full=true");
    assertEquals(clean.toString(), "ok", clean.get("status").asText());
    assertEquals(0, clean.get("divergences_found").asInt());
    assertEquals(ACCOUNTS + 1, clean.get("accounts_checked").asInt());
    assertTrue(clean.toString(), clean.get("transfers_checked").asInt() >= ACCOUNTS * 2);
    assertEquals("the two-phase transfer's two legs", 2, clean.get("pending_legs_checked").asInt());
    JsonNode usd = clean.get("currencies").get("USD");
    assertTrue(usd.get("balanced").asBoolean());
    assertEquals("funding 6 x 1000 + moves 10..15", ACCOUNTS * 1000L + 75, usd.get("credits_posted").asLong());
    assertEquals(usd.get("debits_posted").asLong(), usd.get("credits_posted").asLong());
    assertEquals(50, usd.get("debits_pending").asLong());
    assertEquals(clean.toString(), http.get("/recon").json().toString());
  }

  @Test
  public void step3_aRunWithoutFullChecksASampleAndOnlyTheNewPendingLegRows() {
    // The next run reads only the pending-leg rows due since this one (an hour bucket or two),
    // not the 31 days of hour buckets (745 reads, with every released leg's tombstone in them),
    // and still checks the legs pending past their deadline, carried from this run.
    long pendingReads = CassandraReads.reads(cql, KEYSPACE, "pending_legs");
    JsonNode sample = run("");
    pendingReads = CassandraReads.reads(cql, KEYSPACE, "pending_legs") - pendingReads;
    System.out.println("ReconIntegrationTest: pending_legs reads of a run after the first: " + pendingReads
        + "; most tombstones met by one read of pending_legs (recent reads): "
        + CassandraReads.tombstonesPerReadMax(cql, KEYSPACE, "pending_legs"));
    assertEquals(3, sample.get("accounts_checked").asInt()); // a sample
    assertEquals(sample.toString(), 2, sample.get("pending_legs_checked").asInt());
    assertTrue("pending_legs reads: " + pendingReads, pendingReads <= 2);
  }

  @Test
  public void step3b_aPendingLegRowWrittenLateWithAnOldDueTimeIsStillChecked() throws Exception {
    // A two-phase transfer between two accounts no run can sample (their listing rows are
    // removed, as if not projected yet; their pending sums cancel, so S1 stays balanced) ...
    post("/accounts", "{\"id\":\"l0\",\"currency\":\"USD\",\"min_balance\":null}", 201);
    post("/accounts", "{\"id\":\"l1\",\"currency\":\"USD\"}", 201);
    transfer("late", "l0", "l1", 50, ",\"pending\":true,\"timeout_seconds\":600", 201);
    List<Row> legs = new ArrayList<>();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (legs.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      legs.clear();
      long hour = System.currentTimeMillis() / 3_600_000;
      for (long h = hour - 1; h <= hour + 1; h++) {
        cql.execute("SELECT * FROM " + KEYSPACE + ".pending_legs WHERE due_hour = " + h).forEach(r -> {
          if (r.getString("transfer_id").equals("late")) {
            legs.add(r);
          }
        });
      }
    }
    assertEquals("the late transfer's two pending_legs rows", 2, legs.size());
    for (String id : List.of("l0", "l1")) {
      long v = http.get("/accounts/" + id).json().get("version").asLong();
      assertEquals(200, http.get("/accounts/" + id + "/balance?min_version=" + v).status());
    }
    QuerySettings q = QuerySettings.fromConfig(config());
    for (String id : List.of("l0", "l1")) {
      cql.execute("DELETE FROM " + KEYSPACE + ".account_list WHERE bucket = " + q.listingBucket(id)
          + " AND account_id = '" + id + "'");
    }
    // ... whose pending_legs rows are not written yet when a run reads past their due time ...
    for (Row r : legs) {
      cql.execute(SimpleStatement.newInstance("DELETE FROM " + KEYSPACE + ".pending_legs WHERE due_hour = ? "
          + "AND due_at = ? AND account_id = ? AND transfer_id = ?", r.getLong("due_hour"), r.getInstant("due_at"),
          r.getString("account_id"), "late"));
    }
    Thread.sleep(12_000); // due 3 s after the prepare; more than twice settle-time past that
    JsonNode before = run("");
    assertEquals(before.toString(), 2, before.get("pending_legs_checked").asInt()); // "held" only
    // ... and are written only then, as a projection restarting after a crash writes them: the
    // next run reads them (from its floor, below this run's start), where reading only from the
    // last run's read less settle-time would not.
    for (Row r : legs) {
      cql.execute(SimpleStatement.newInstance("INSERT INTO " + KEYSPACE + ".pending_legs (due_hour, due_at, "
          + "account_id, transfer_id, currency, debit, credit) VALUES (?, ?, ?, ?, ?, ?, ?)", r.getLong("due_hour"),
          r.getInstant("due_at"), r.getString("account_id"), "late", r.getString("currency"), r.getLong("debit"),
          r.getLong("credit")));
    }
    long pendingReads = CassandraReads.reads(cql, KEYSPACE, "pending_legs");
    JsonNode after = run("");
    pendingReads = CassandraReads.reads(cql, KEYSPACE, "pending_legs") - pendingReads;
    assertEquals(after.toString(), "ok", after.get("status").asText());
    assertEquals(after.toString(), 4, after.get("pending_legs_checked").asInt()); // "held" and "late"
    assertTrue("from the floor, not the whole lookback: pending_legs reads " + pendingReads, pendingReads < 10);
  }

  @Test
  public void step4_aFullRunReportsExactlyTheCorruptionsMadeInCassandra() {
    corrupt(cql);
    JsonNode found = run("?full=true");
    assertEquals(found.toString(), "divergent", found.get("status").asText());
    Set<String> divergences = new TreeSet<>();
    for (JsonNode d : found.get("divergences")) {
      divergences.add(d.get("kind").asText() + " " + d.get("account_id").asText() + " "
          + d.get("transfer_id").asText());
    }
    assertEquals(new TreeSet<>(List.of(
        "journal_mismatch r2 null",
        "query_row_mismatch r1 null",
        "s1_unbalanced null null",
        "statement_mismatch r0 null",
        "transfer_not_reflected r3 fund-3")), divergences);
    assertEquals(5, found.get("divergences_found").asInt());
    assertTrue(found.get("currencies").get("USD").get("balanced").asBoolean() == false);
  }

  @Test
  public void step5_theMetricsShowTheDivergentRun() {
    String metrics = http.get("/metrics").body();
    assertTrue(metrics, metrics.contains("ledger_recon_ok 0.0"));
    assertTrue(metrics.contains("ledger_recon_divergences{kind=\"journal_mismatch\",} 1.0"));
    assertTrue(metrics.contains("ledger_recon_balanced{currency=\"USD\",} 0.0"));
    assertTrue(metrics.contains("ledger_recon_runs_total{result=\"divergent\",} 1.0"));
  }

  @Test
  public void step6_aRunWithUnknownOrInvalidParametersIsRefused() {
    assertEquals("unknown_parameter", http.send("POST", "/recon/run?fast=1", "", null).errorCode());
    assertEquals("invalid_parameter", http.send("POST", "/recon/run?full=yes", "", null).errorCode());
  }

  private static JsonNode run(String query) {
    Response r = http.post("/recon/run" + query);
    assertEquals(r.body(), 200, r.status());
    return r.json();
  }

  private static void workload() {
    post("/accounts", "{\"id\":\"op\",\"currency\":\"USD\",\"min_balance\":null}", 201);
    List<String> versions = new ArrayList<>();
    for (int i = 0; i < ACCOUNTS; i++) {
      post("/accounts", "{\"id\":\"r" + i + "\",\"currency\":\"USD\"}", 201);
      transfer("fund-" + i, "op", "r" + i, 1000, "", 201);
    }
    for (int i = 0; i < ACCOUNTS; i++) {
      transfer("move-" + i, "r" + i, "r" + ((i + 1) % ACCOUNTS), 10 + i, "", 201);
    }
    transfer("too-much", "r0", "r1", 5000, "", 422);
    transfer("held", "r4", "r5", 50, ",\"pending\":true,\"timeout_seconds\":600", 201);
    for (String id : List.of("op", "r0", "r1", "r2", "r3", "r4", "r5")) {
      long v = http.get("/accounts/" + id).json().get("version").asLong();
      assertEquals(200, http.get("/accounts/" + id + "/balance?min_version=" + v).status());
      versions.add(id + "@" + v);
    }
  }

  private static void transfer(String id, String from, String to, long amount, String extra, int status) {
    post("/transfers", "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + from + "\",\"credit_account_id\":\""
        + to + "\",\"amount\":" + amount + ",\"currency\":\"USD\"" + extra + "}", status);
  }

  private static void post(String path, String body, int status) {
    Response r = http.post(path, body);
    assertEquals(r.body(), status, r.status());
  }

  /**
   * r0: the statement entry of its funding post (as a skipped event would leave it); r1: its
   * listing row's credits, which also unbalances S1 (the per-currency totals are summed from
   * the listing rows); r2: the journal event of its funding post; r3: its row of a posted
   * transfer says pending. And r5, harmlessly.
   */
  private static void corrupt(CqlSession cql) {
    QuerySettings q = QuerySettings.fromConfig(config());
    Row funded = cql.execute("SELECT status, transfer_id FROM " + KEYSPACE + ".account_entries WHERE account_id = 'r0' "
        + "AND bucket = 0 AND version = 3").one();
    assertEquals("posted fund-0", funded.getString("status") + " " + funded.getString("transfer_id"));
    cql.execute("DELETE FROM " + KEYSPACE + ".account_entries WHERE account_id = 'r0' AND bucket = 0 AND version = 3");
    cql.execute("UPDATE " + KEYSPACE + ".account_list SET credits_posted = 999999 WHERE bucket = "
        + q.listingBucket("r1") + " AND account_id = 'r1'");
    long posted = -1;
    for (Row row : cql.execute("SELECT sequence_nr, ser_manifest FROM " + KEYSPACE + ".messages WHERE "
        + "persistence_id = 'Account|r2' AND partition_nr = 0")) {
      if (row.getString("ser_manifest").endsWith("$LegPosted") && posted < 0) {
        posted = row.getLong("sequence_nr");
      }
    }
    assertEquals("r2's funding post is its 3rd event", 3, posted);
    cql.execute("DELETE FROM " + KEYSPACE + ".messages WHERE persistence_id = 'Account|r2' AND partition_nr = 0 "
        + "AND sequence_nr = " + posted);
    Row fund = cql.execute("SELECT prepared_version, status FROM " + KEYSPACE + ".account_transfers WHERE "
        + "account_id = 'r3' AND bucket = 0 AND prepared_version = 2 AND transfer_id = 'fund-3'").one();
    assertEquals("posted", fund.getString("status"));
    cql.execute("UPDATE " + KEYSPACE + ".account_transfers SET status = 'pending' WHERE account_id = 'r3' "
        + "AND bucket = 0 AND prepared_version = 2 AND transfer_id = 'fund-3'");
    // Not a divergence: r5's row ahead of the entity (as a busy account's row is when the entity
    // was asked first) is checked against the statement's counters at the entity's version.
    cql.execute("UPDATE " + KEYSPACE + ".account_list SET version = 1000 WHERE bucket = " + q.listingBucket("r5")
        + " AND account_id = 'r5'");
  }
}
