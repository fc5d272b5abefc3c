package ledger.cluster;

import static org.junit.Assert.assertEquals;

import java.nio.file.Path;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import ledger.tools.Recovery;
import ledger.testing.ClusterNodeProcess;
import ledger.testing.ClusterNodeProcess.Ports;
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
    Recovery.Outcome outcome = Recovery.measure(RecoveryChecks.settings(nodes, SEED),
        Recovery.Fault.killNode(1, () -> victim.process().destroyForcibly()));
    System.out.println("ClusterRecoveryTest " + outcome);

    RecoveryChecks.assertRecovered(outcome, "kill", "", 100);
    assertEquals("the survivors removed the killed node", 2, nodes.get(0).upMembers());
    assertEquals("journals written by two incarnations at once", List.of(),
        JournalWriters.interleaved(cassandra, keyspace));

    ClusterNodeProcess restarted = ClusterNodeProcess.start(ports.get(1), ports, keyspace, logs.resolve("node-2b.log"));
    nodes.set(1, restarted);
    RecoveryChecks.assertRejoinsAndServes(restarted, outcome, "the restarted node serves");
  }
}
