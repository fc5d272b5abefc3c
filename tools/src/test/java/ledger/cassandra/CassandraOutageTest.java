package ledger.cassandra;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ledger.LedgerNode;
import ledger.tools.Recovery;
import ledger.testing.TestKeys;
import ledger.testing.TestCassandra;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * Cassandra stops under load (SIGTERM, the process gone) and comes back 10 s later on the same
 * data: meanwhile the ledger answers 503 unavailable (or refuses a transfer whose prepare timed
 * out), never anything else; it recovers by itself, without a restart; every unknown outcome
 * settles by retrying the same id, and nothing acknowledged is lost.
 */
public class CassandraOutageTest {
  private static final long SEED = Long.getLong("ledger.outage.seed", System.nanoTime());

  @Test
  public void answersUnavailableLosesNothingAndRecoversWhenCassandraReturns() throws Exception {
    System.out.println("CassandraOutageTest seed=" + SEED + " (rerun with -Dledger.outage.seed=" + SEED + ")");
    int httpPort = TestNodes.freePort();
    Config config = TestNodes.singleNode(Map.of(
        "ledger.http.port", httpPort,
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", "it_outage",
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}"));
    CassandraSchema.apply(config);
    LedgerNode node = LedgerNode.start(config, Duration.ofSeconds(60));
    try {
      Recovery.Outcome outcome = Recovery.measure(
          new Recovery.Settings(List.of("http://127.0.0.1:" + httpPort), TestKeys.key().text(), 30, 8, Duration.ofSeconds(5),
              Duration.ofSeconds(120), SEED),
          Recovery.Fault.outage("Cassandra stopped", TestCassandra::stop, Duration.ofSeconds(10), TestCassandra::restart));
      System.out.println("CassandraOutageTest " + outcome);

      assertTrue("the outage was seen as 503 unavailable: " + outcome, outcome.failures().containsKey("unavailable"));
      assertTrue("only 503 unavailable or a transfer_timed_out refusal meanwhile: " + outcome,
          Set.of("unavailable", "transfer_timed_out").containsAll(outcome.failures().keySet()));
      assertTrue("every account served again without a restart: " + outcome, outcome.allRecovered());
      assertEquals("acknowledged transfers lost: " + outcome, 0, outcome.acknowledgedLost());
      assertEquals("balances not exactly their posted transfers: " + outcome, 0, outcome.balanceMismatches());
      assertTrue("S1: " + outcome, outcome.s1Holds());
    } finally {
      if (!EmbeddedCassandra.answers("127.0.0.1", TestCassandra.get().address().getPort())) {
        TestCassandra.restart();
      }
      node.stop(Duration.ofSeconds(60));
    }
  }
}
