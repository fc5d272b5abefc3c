package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import ledger.tools.Recovery;
import ledger.testing.TestKeys;
import ledger.testing.ClusterNodeProcess;
import ledger.testing.ClusterNodeProcess.Ports;
import ledger.testing.TestHttp;
import org.junit.After;
import org.junit.Test;

/**
 * Three nodes as separate JVMs form a cluster through Cluster Bootstrap (the local cluster's
 * config discovery); one is SIGKILLed under load. The split brain resolver downs it, its
 * accounts are served again by the others, every unknown outcome settles by retrying the same
 * id, every acknowledged transfer is still posted and every balance is exact; the killed node,
 * started again, rejoins and serves. The short variant of {@code ./ledger recovery}, which
 * gives the figures (the time here is printed, not asserted: this box is shared by 4 JVMs).
 */
public class ClusterRecoveryTest {
  private static final long SEED = Long.getLong("ledger.recovery.seed", System.nanoTime());
  private final List<ClusterNodeProcess> nodes = new ArrayList<>();

  @After
  public void stopNodes() throws Exception {
    for (ClusterNodeProcess node : nodes) {
      node.kill();
    }
  }

  @Test
  public void aKilledNodesAccountsAreServedAgainAndNothingAcknowledgedIsLost() throws Exception {
    System.out.println("ClusterRecoveryTest seed=" + SEED + " (rerun with -Dledger.recovery.seed=" + SEED + ")");
    String keyspace = "it_cluster";
    Config cassandra = ClusterNodeProcess.schema(keyspace);
    Path logs = ClusterNodeProcess.logFolder("cluster-");
    List<Ports> ports = List.of(Ports.free(), Ports.free(), Ports.free());
    ClusterNodeProcess.startAll(ports, keyspace, logs, nodes);

    ClusterNodeProcess victim = nodes.get(1);
    Recovery.Outcome outcome = Recovery.measure(
        new Recovery.Settings(nodes.stream().map(ClusterNodeProcess::url).toList(), TestKeys.key().text(), 40, 24,
            Duration.ofSeconds(5), Duration.ofSeconds(90), SEED),
        Recovery.Fault.killNode(1, () -> victim.process().destroyForcibly()));
    System.out.println("ClusterRecoveryTest " + outcome);

    assertTrue("every account served again: " + outcome, outcome.allRecovered());
    assertTrue("the kill disturbed some accounts (else this measured nothing): " + outcome, outcome.failed() > 0);
    assertTrue("transfers were acknowledged: " + outcome, outcome.acknowledged() > 100);
    assertEquals("acknowledged transfers lost: " + outcome, 0, outcome.acknowledgedLost());
    assertEquals("accounts whose balance is not exactly their posted transfers: " + outcome, 0,
        outcome.balanceMismatches());
    assertTrue("S1: " + outcome, outcome.s1Holds());
    assertEquals("the survivors removed the killed node", 2, nodes.get(0).upMembers());
    assertEquals("journals written by two incarnations at once", List.of(),
        JournalWriters.interleaved(cassandra, keyspace));

    ClusterNodeProcess restarted = ClusterNodeProcess.start(ports.get(1), ports, keyspace, logs.resolve("node-2b.log"));
    nodes.set(1, restarted);
    restarted.awaitUp(3, Duration.ofSeconds(120));
    assertEquals("the restarted node serves", 200,
        new TestHttp(restarted.url()).get("/accounts/" + outcome.firstAccountId()).status());
  }
}
