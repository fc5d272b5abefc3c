package ledger.cassandra;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import ledger.LedgerNode;
import ledger.testing.TestCassandra;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * Against the real embedded Cassandra: accounts created and changed over HTTP on one node are
 * all found, at the same versions, by a brand-new node (a new ActorSystem) on the same
 * Cassandra, whether recovered from events alone or from a snapshot plus events. The first
 * node's changes are made once; each property is a step of its own, run in name order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class PersistenceIntegrationTest {
  private static final String KEYSPACE = "it_persistence";
  private static final int SNAPSHOT_EVERY = 3;
  /** Every account's last acknowledged state on the first node, by id. */
  private static final Map<String, JsonNode> acknowledged = new LinkedHashMap<>();
  private static LedgerNode second;

  private static Config config() {
    return TestNodes.singleNode(Map.of(
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", KEYSPACE,
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "ledger.account.snapshot-every-events", SNAPSHOT_EVERY));
  }

  @BeforeClass
  public static void changeAccountsOnAFirstNodeThenStartASecond() {
    CassandraSchema.apply(config());
    LedgerNode first = LedgerNode.start(config(), Duration.ofSeconds(60));
    try {
      TestHttp http = http(first);
      for (int i = 0; i < 10; i++) {
        String id = "it-" + i;
        Response created = http.post("/accounts",
            "{\"id\":\"" + id + "\",\"currency\":\"EUR\",\"metadata\":{\"n\":\"" + i + "\"}}");
        assertEquals(created.body(), 201, created.status());
        acknowledged.put(id, created.json());
      }
      // Few changes: recovery from events only.
      acknowledged.put("it-1", ok(http.post("/accounts/it-1/lock")));
      acknowledged.put("it-2", ok(http.patch("/accounts/it-2", "{\"min_balance\":null,\"max_balance\":50}")));
      acknowledged.put("it-3", ok(http.post("/accounts/it-3/close")));
      // Many changes: past the snapshot cadence, so recovery starts from a snapshot.
      for (int round = 0; round < 4; round++) {
        ok(http.post("/accounts/it-4/lock"));
        acknowledged.put("it-4", ok(http.post("/accounts/it-4/unlock")));
      }
      acknowledged.put("it-4", ok(http.patch("/accounts/it-4", "{\"metadata\":{\"last\":\"yes\"}}")));
    } finally {
      first.stop(Duration.ofSeconds(60));
    }
    second = LedgerNode.start(config(), Duration.ofSeconds(60));
  }

  @AfterClass
  public static void stop() {
    if (second != null) {
      second.stop(Duration.ofSeconds(60));
    }
  }

  @Test
  public void step1_onlyTheAccountPastTheSnapshotCadenceWasSnapshotted() {
    assertEquals(10, acknowledged.get("it-4").get("version").asLong());
    assertTrue("it-4 was snapshotted", snapshotCount("Account|it-4") > 0);
    assertEquals("it-1 was not snapshotted", 0, snapshotCount("Account|it-1"));
  }

  @Test
  public void step2_aNewNodeAnswersEveryAcknowledgedChange() {
    TestHttp http = http(second);
    for (Map.Entry<String, JsonNode> e : acknowledged.entrySet()) {
      Response now = http.get("/accounts/" + e.getKey());
      assertEquals(now.body(), 200, now.status());
      assertEquals(e.getValue(), now.json());
    }
  }

  @Test
  public void step3_theRecoveredEntityKeepsWorkingFromWhereItWas() {
    JsonNode next = ok(http(second).post("/accounts/it-4/lock"));
    assertEquals(11, next.get("version").asLong());
  }

  private static long snapshotCount(String persistenceId) {
    try (CqlSession session = CassandraConnection.openSession(config())) {
      return session.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
          "SELECT count(*) FROM " + KEYSPACE + ".snapshots WHERE persistence_id = ?", persistenceId))
          .one().getLong(0);
    }
  }

  private static TestHttp http(LedgerNode node) {
    return new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
  }

  private static JsonNode ok(Response r) {
    assertEquals(r.body(), 200, r.status());
    return r.json();
  }
}
