package ledger.transfer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import ledger.cassandra.CassandraConnection;
import ledger.testing.DevProcess;
import ledger.testing.TestCassandra;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * S6 across a real crash: a node holding a pending transfer is SIGKILLed; a new node starts on
 * the same Cassandra and, with no client request at all, the held-leg sweeper finds the legs in
 * pending_legs and starts their accounts, which ask the coordinator, and the transfer expires
 * and releases both accounts within the bound. Accounts are not remembered entities (the
 * projections are on): no account, and no request for an account that does not exist, leaves
 * a remembered-entity record. Progress is read from the journal in Cassandra, never by asking
 * the ledger.
 */
public class LivenessProcessTest {
  private static final String KEYSPACE = "it_liveness";

  @Test
  public void pendingLegsAreResolvedAfterACrashWithoutAnyClient() throws Exception {
    Path root = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data")));
    Path dir = Files.createTempDirectory(root, "liveness-");
    int port = TestNodes.freePort();
    Map<String, String> settings = Map.of(
        "ledger.transfer.presumed-abort-after", "2s",
        "ledger.transfer.pending-check-interval", "200ms",
        // -Dledger.test.remember-accounts=on compares with remembered accounts (the sweeper's cost).
        "ledger.account.remember-entities", System.getProperty("ledger.test.remember-accounts", "auto"));
    DevProcess first = DevProcess.start(dir, port, KEYSPACE, dir.resolve("first.log"), settings);
    try {
      first.awaitServing(Duration.ofSeconds(90));
      for (int i = 0; i < 20; i++) {
        assertEquals(404, first.http().get("/accounts/lv-ghost-" + i).status());
      }
      assertEquals(201, first.http().post("/accounts", "{\"id\":\"lv-op\",\"currency\":\"USD\",\"min_balance\":null}").status());
      assertEquals(201, first.http().post("/accounts", "{\"id\":\"lv-x\",\"currency\":\"USD\"}").status());
      assertEquals(201, first.http().post("/transfers", "{\"id\":\"lv-1\",\"debit_account_id\":\"lv-op\","
          + "\"credit_account_id\":\"lv-x\",\"amount\":40,\"currency\":\"USD\",\"pending\":true,\"timeout_seconds\":4}")
          .status());
    } finally {
      first.process().destroyForcibly(); // SIGKILL: no shutdown, no hand-off
      assertTrue(first.process().waitFor(30, TimeUnit.SECONDS));
    }
    long crashed = System.nanoTime();
    assertEquals("nothing released before the crash", 2, journalEvents("Account|lv-x"));
    if (!"on".equals(settings.get("ledger.account.remember-entities"))) {
      assertEquals("no remembered accounts", List.of(), rememberedEntityJournals());
    }

    DevProcess second = DevProcess.start(dir, port, KEYSPACE, dir.resolve("second.log"), settings);
    try {
      second.awaitServing(Duration.ofSeconds(90));
      long serving = System.nanoTime();
      // No request to the ledger: wait in the journal for the expiry and both releases.
      long deadline = serving + Duration.ofSeconds(30).toNanos();
      while (journalEvents("Account|lv-x") < 3 || journalEvents("Account|lv-op") < 3
          || journalEvents("Transfer|lv-1") < 2) {
        assertTrue("released without a client within 30 s of the new node serving (S6)\n" + second.log(),
            System.nanoTime() < deadline);
        Thread.sleep(100);
      }
      System.out.printf("LivenessProcessTest: legs released %d ms after the crash, %d ms after the new node served%n",
          (System.nanoTime() - crashed) / 1_000_000, (System.nanoTime() - serving) / 1_000_000);
      var t = second.http().get("/transfers/lv-1").json();
      assertEquals("expired", t.get("status").asText());
      var x = second.http().get("/accounts/lv-x").json();
      assertEquals(0, x.get("credits_pending").asLong());
      assertEquals(0, x.get("credits_posted").asLong());
    } finally {
      second.process().destroy();
      assertTrue(second.process().waitFor(60, TimeUnit.SECONDS));
    }
  }

  /** The remember-entities store's journals (one per shard), were accounts remembered. */
  private static List<String> rememberedEntityJournals() {
    var config = TestNodes.singleNode(Map.of("ledger.cassandra.contact-points", TestCassandra.contactPoint()));
    try (CqlSession session = CassandraConnection.openSession(config)) {
      return session.execute(SimpleStatement.newInstance("SELECT DISTINCT persistence_id, partition_nr FROM "
              + KEYSPACE + ".messages")).all().stream().map(r -> r.getString(0))
          .filter(id -> id.startsWith("/sharding/AccountShard")).toList();
    }
  }

  private static long journalEvents(String persistenceId) {
    var config = TestNodes.singleNode(Map.of("ledger.cassandra.contact-points", TestCassandra.contactPoint()));
    try (CqlSession session = CassandraConnection.openSession(config)) {
      return session.execute(SimpleStatement.newInstance("SELECT count(*) FROM " + KEYSPACE
          + ".messages WHERE persistence_id = ? AND partition_nr = 0", persistenceId)).one().getLong(0);
    }
  }
}
