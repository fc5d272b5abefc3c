package ledger.transfer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import ledger.cassandra.CassandraConnection;
import ledger.testing.OwnNode;
import ledger.testing.TestCassandra;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Transfers over HTTP on the real embedded Cassandra: many concurrent clients among 50
 * accounts while the node is restarted in the middle; every client retries an unknown outcome
 * with the same id. Afterwards the books balance exactly (S1), no account breaks its limit
 * (S4), and every transfer a client saw acknowledged is reflected exactly once (S3, S5).
 * Also counts the journal writes of one-leg transfers against the docs/design.md budget.
 * One node, one scenario: each step builds on the ones before and they run in name order, so
 * a failure names the step.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class TransferIntegrationTest {
  private static final String KEYSPACE = "it_transfers";
  private static final int ACCOUNTS = 50;
  private static final int CLIENTS = 8;
  private static final int TRANSFERS_PER_CLIENT = 60;
  private static final long SEED = Long.getLong("ledger.it.seed", System.nanoTime());
  private static final int HTTP_PORT = TestNodes.freePort();
  private static final int REMOTING_PORT = TestNodes.freePort();

  @ClassRule
  public static final OwnNode node = new OwnNode(TransferIntegrationTest::config);
  private static TestHttp http;
  /** What the clients asked (id -> {debit, credit, amount}) and the last status each saw. */
  private static final Map<String, long[]> requests = new ConcurrentHashMap<>();
  private static final Map<String, Integer> acknowledged = new ConcurrentHashMap<>();
  /** The balance each account must have: 1000, plus and minus the transfers found posted. */
  private static final long[] expected = new long[ACCOUNTS];

  private static Config config() {
    return TestNodes.singleNode(Map.of(
        "ledger.http.port", HTTP_PORT,
        "akka.remote.artery.canonical.port", REMOTING_PORT,
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", KEYSPACE,
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "ledger.transfer.presumed-abort-after", "4s"));
  }

  @BeforeClass
  public static void connect() {
    System.out.println("TransferIntegrationTest seed=" + SEED);
    http = node.http();
  }

  @Test
  public void step1_concurrentClientsAcrossANodeRestartEachGetADefiniteAnswer() throws Exception {
    createAccount("op", "{\"id\":\"op\",\"currency\":\"USD\",\"min_balance\":null}");
    for (int i = 0; i < ACCOUNTS; i++) {
      createAccount("a" + i, "{\"id\":\"a" + i + "\",\"currency\":\"USD\"}");
      assertEquals(201, send("fund-" + i, "op", "a" + i, 1000));
    }
    AtomicInteger done = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      Random random = new Random(SEED + c);
      int client = c;
      running.add(clients.submit(() -> {
        for (int i = 0; i < TRANSFERS_PER_CLIENT; i++) {
          int from = random.nextInt(ACCOUNTS);
          int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
          long amount = 1 + random.nextInt(400);
          String id = "c" + client + "-" + i;
          requests.put(id, new long[] {from, to, amount});
          acknowledged.put(id, send(id, "a" + from, "a" + to, amount));
          done.incrementAndGet();
        }
        return null;
      }));
    }
    while (done.get() < CLIENTS * TRANSFERS_PER_CLIENT / 2) {
      Thread.sleep(20);
    }
    node.restart(() -> { }); // clients see refused connections and keep retrying
    for (Future<?> f : running) {
      f.get(5, TimeUnit.MINUTES);
    }
    clients.shutdown();
  }

  @Test
  public void step2_noLegIsLeftPending() throws Exception {
    awaitNoPending();
  }

  /** S3, S5: what a client saw acknowledged is posted; what it saw rejected stays rejected. */
  @Test
  public void step3_everyAcknowledgedTransferIsPostedAndEveryRefusalStaysRejected() {
    java.util.Arrays.fill(expected, 1000);
    int posted = 0;
    int rejected = 0;
    for (Map.Entry<String, long[]> e : requests.entrySet()) {
      JsonNode t = http.get("/transfers/" + e.getKey()).json();
      String status = t.get("status").asText();
      int seen = acknowledged.get(e.getKey());
      if (seen == 201 || seen == 200) {
        assertEquals("acknowledged " + e.getKey() + " is posted", "posted", status);
      }
      if (seen == 422) {
        assertEquals("rejected " + e.getKey() + " stays rejected", "rejected", status);
      }
      if (status.equals("posted")) {
        posted++;
        expected[(int) e.getValue()[0]] -= e.getValue()[2];
        expected[(int) e.getValue()[1]] += e.getValue()[2];
      } else {
        rejected++;
        assertEquals("rejected", status);
      }
    }
    System.out.println("TransferIntegrationTest: " + posted + " posted, " + rejected + " rejected, across a restart");
    assertTrue(posted > 100);
  }

  /** S1, S4, and every posted transfer reflected exactly once on both its accounts. */
  @Test
  public void step4_theBooksBalanceExactlyAndNoAccountBreaksItsLimit() {
    long debits = 0;
    long credits = 0;
    for (String id : accountIds()) {
      JsonNode a = http.get("/accounts/" + id).json();
      debits += a.get("debits_posted").asLong();
      credits += a.get("credits_posted").asLong();
      assertEquals(0, a.get("debits_pending").asLong() + a.get("credits_pending").asLong());
      assertTrue("S4 " + id, id.equals("op") || a.get("available").asLong() >= 0);
      if (!id.equals("op")) {
        assertEquals("every posted transfer reflected once on " + id,
            expected[Integer.parseInt(id.substring(1))], a.get("balance").asLong());
      }
    }
    assertEquals("S1", debits, credits);
  }

  @Test
  public void step5_aOneLegTransferCostsTheBudgetedJournalWrites() throws Exception {
    countJournalWrites();
  }

  /**
   * docs/design.md budget: a one-leg transfer costs 5 journal writes (2 prepares, decision, 2 posts).
   * Only the 4 account events are tagged for the read side: the coordinator's journal has no
   * events-by-tag, so its decision costs no tag-view write. The ledger's journal writes no
   * tag-progress rows (a tag's sequence number is the event's), and its requests carry at least
   * one write each, more where writes meet.
   */
  private void countJournalWrites() throws Exception {
    createAccount("w1", "{\"id\":\"w1\",\"currency\":\"USD\",\"min_balance\":null}");
    createAccount("w2", "{\"id\":\"w2\",\"currency\":\"USD\"}");
    Map<String, Integer> before = journalRowsByEntityType();
    Map<String, Integer> tagsBefore = rowsByEntityType("tag_views");
    Map<String, Integer> progressBefore = rowsByEntityType("tag_write_progress");
    double[] requestsBefore = journalRequests();
    int n = 20;
    for (int i = 0; i < n; i++) {
      assertEquals(201, send("w-" + i, "w1", "w2", 10));
    }
    awaitNoPending();
    Map<String, Integer> after = journalRowsByEntityType();
    int accountWrites = after.getOrDefault("Account", 0) - before.getOrDefault("Account", 0);
    int transferWrites = after.getOrDefault("Transfer", 0) - before.getOrDefault("Transfer", 0);
    System.out.printf("Journal writes per one-leg transfer: %.2f account + %.2f coordinator%n",
        accountWrites / (double) n, transferWrites / (double) n);
    assertEquals(4 * n, accountWrites);
    assertEquals(n, transferWrites);
    Map<String, Integer> tagsAfter = rowsByEntityType("tag_views");
    assertEquals("tag-view rows of account events", 4 * n,
        tagsAfter.getOrDefault("Account", 0) - tagsBefore.getOrDefault("Account", 0));
    assertEquals("tag-view rows of coordinator events", tagsBefore.getOrDefault("Transfer", 0),
        tagsAfter.getOrDefault("Transfer", 0));
    assertEquals("tag-progress rows", progressBefore, rowsByEntityType("tag_write_progress"));
    double[] requestsAfter = journalRequests();
    double accountRequests = requestsAfter[0] - requestsBefore[0];
    double accountPersists = requestsAfter[1] - requestsBefore[1];
    double transferRequests = requestsAfter[2] - requestsBefore[2];
    double transferPersists = requestsAfter[3] - requestsBefore[3];
    System.out.printf("Journal requests per one-leg transfer: %.2f account (%.2f persists), %.2f coordinator%n",
        accountRequests / n, accountPersists / n, transferRequests / n);
    // An account's persist carries one or more events (group commit); the decision is one persist.
    assertTrue("account persists " + accountPersists, accountPersists >= 2 * n && accountPersists <= 4 * n);
    assertTrue("account requests " + accountRequests, accountRequests >= 1 && accountRequests <= accountPersists);
    assertEquals("coordinator persists", n, transferPersists, 0);
    assertTrue("coordinator requests " + transferRequests, transferRequests >= 1 && transferRequests <= n);
  }

  /** The ledger's journal's counters: account requests and persists, transfer requests and persists. */
  private static double[] journalRequests() {
    ledger.metrics.Metrics m = ledger.metrics.Metrics.get(node.node().system());
    return new double[] {
        m.journalRequests.labels("account-journal", "ok").get(), m.journalRequestWrites.labels("account-journal").get(),
        m.journalRequests.labels("transfer-journal", "ok").get(), m.journalRequestWrites.labels("transfer-journal").get()};
  }

  private static Map<String, Integer> journalRowsByEntityType() {
    return rowsByEntityType("messages");
  }

  private static Map<String, Integer> rowsByEntityType(String table) {
    Map<String, Integer> counts = new HashMap<>();
    try (CqlSession session = CassandraConnection.openSession(config())) {
      for (Row row : session.execute("SELECT persistence_id FROM " + KEYSPACE + "." + table)) {
        String pid = row.getString(0);
        counts.merge(pid.contains("|") ? pid.substring(0, pid.indexOf('|')) : "other", 1, Integer::sum);
      }
    }
    return counts;
  }

  private void awaitNoPending() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      boolean clear = true;
      for (String id : accountIds()) {
        JsonNode a = http.get("/accounts/" + id).json();
        clear &= a.path("debits_pending").asLong(1) + a.path("credits_pending").asLong(1) == 0;
      }
      if (clear) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("pending legs left after 60 s");
  }

  private List<String> accountIds() {
    List<String> ids = new ArrayList<>();
    ids.add("op");
    for (int i = 0; i < ACCOUNTS; i++) {
      ids.add("a" + i);
    }
    return ids;
  }

  private void createAccount(String id, String body) {
    TestHttp.Response r = http.post("/accounts", body);
    assertTrue(r.body(), r.status() == 201 || r.status() == 200);
  }

  /** Posts a transfer until its outcome is known: connection errors and 503 are retried as is. */
  private int send(String id, String debit, String credit, long amount) {
    String body = "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\""
        + credit + "\",\"amount\":" + amount + ",\"currency\":\"USD\"}";
    for (int attempt = 0; attempt < 300; attempt++) {
      try {
        TestHttp.Response r = http.post("/transfers", body);
        if (r.status() != 503) {
          assertTrue(id + ": " + r.body(), r.status() == 201 || r.status() == 200 || r.status() == 422);
          return r.status();
        }
      } catch (AssertionError connectionRefused) {
        if (connectionRefused.getCause() == null) {
          throw connectionRefused;
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("no definite answer for " + id);
  }
}
