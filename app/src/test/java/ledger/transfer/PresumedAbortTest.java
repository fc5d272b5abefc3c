package ledger.transfer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import ledger.LedgerNode;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * S6 on a real node (in-memory journal, injected journal failures): a coordinator that dies
 * before deciding, and an account that fails to apply a decided post, are both finished by the
 * system within the configured bound, with no client acting after the first request.
 */
public class PresumedAbortTest {
  private static final Duration PRESUMED_ABORT_AFTER = Duration.ofSeconds(1);
  private static final Duration BOUND = Duration.ofSeconds(4);
  private static LedgerNode node;
  private static TestHttp http;
  private static PersistenceTestKit journal;

  @BeforeClass
  public static void start() {
    node = LedgerNode.start(ConfigFactory.parseMap(Map.of(
            "ledger.transfer.prepare-timeout", "500ms",
            "ledger.transfer.presumed-abort-after", PRESUMED_ABORT_AFTER.toMillis() + "ms",
            "ledger.transfer.pending-check-interval", "100ms",
            "ledger.http.ask-timeout", "1500ms"))
        .withFallback(TestNodes.inMemoryNode()), Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
    journal = PersistenceTestKit.create(node.system());
    assertEquals(201, http.post("/accounts", "{\"id\":\"pa-op\",\"currency\":\"USD\",\"min_balance\":null}").status());
    assertEquals(201, http.post("/accounts", "{\"id\":\"pa-x\",\"currency\":\"USD\"}").status());
  }

  @AfterClass
  public static void stop() {
    node.stop(Duration.ofSeconds(30));
  }

  @Test
  public void aCoordinatorThatDiesBeforeDecidingIsAbortedWithoutAnyClient() throws Exception {
    journal.failNextPersisted("Transfer|pa-1"); // the decision is lost; the coordinator restarts
    long failedAt = System.nanoTime();
    TestHttp.Response first = http.post("/transfers", transfer("pa-1", 70));
    assertEquals("outcome unknown to the client", 503, first.status());
    assertEquals("1", first.headers().firstValue("Retry-After").orElse(""));
    // No request touches the transfer or its accounts until they are released (journal reads only).
    awaitJournal("Account|pa-x", 3, failedAt); // created, leg prepared, leg voided
    JsonNode t = http.get("/transfers/pa-1").json();
    assertEquals("rejected", t.get("status").asText());
    assertEquals("transfer_timed_out", t.get("rejection").get("code").asText());
    assertPending("pa-x", 0, 0);
    assertPending("pa-op", 0, 0);
    // The client's retry now learns the outcome, and it stays rejected.
    TestHttp.Response retry = http.post("/transfers", transfer("pa-1", 70));
    assertEquals(422, retry.status());
    assertEquals("transfer_timed_out", retry.errorCode());
  }

  @Test
  public void anAccountThatFailsToApplyADecidedPostIsDrivenToIt() throws Exception {
    journal.failNextPersisted("Account|pa-x");
    // pa-x fails to persist its prepare: the coordinator decides transfer_timed_out at its deadline.
    TestHttp.Response refused = http.post("/transfers", transfer("pa-2", 5));
    assertEquals(422, refused.status());
    assertEquals("transfer_timed_out", refused.errorCode());
    assertEquals(201, http.post("/transfers", transfer("pa-3", 5)).status());
    long start = System.nanoTime();
    while (http.get("/accounts/pa-x").json().get("credits_posted").asLong() != 5) {
      assertTrue("posted within the bound", System.nanoTime() - start < BOUND.toNanos());
      Thread.sleep(50);
    }
    assertPending("pa-op", 0, 0);
  }

  private static String transfer(String id, long amount) {
    return "{\"id\":\"" + id + "\",\"debit_account_id\":\"pa-op\",\"credit_account_id\":\"pa-x\",\"amount\":"
        + amount + ",\"currency\":\"USD\"}";
  }

  private static void awaitJournal(String persistenceId, int events, long since) throws InterruptedException {
    while (journal.persistedInStorage(persistenceId).size() < events) {
      long waited = System.nanoTime() - since;
      assertTrue(persistenceId + " resolved within " + BOUND + " (S6)", waited < BOUND.toNanos());
      Thread.sleep(20);
    }
    System.out.printf("PresumedAbortTest: %s released %d ms after the transfer was sent%n", persistenceId,
        (System.nanoTime() - since) / 1_000_000);
  }

  private static void assertPending(String account, long debits, long credits) {
    JsonNode a = http.get("/accounts/" + account).json();
    assertEquals(debits, a.get("debits_pending").asLong());
    assertEquals(credits, a.get("credits_pending").asLong());
  }
}
