package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import ledger.tools.Chaos;
import ledger.testing.TestKeys;
import ledger.testing.ClusterNodeProcess;
import ledger.testing.ClusterNodeProcess.Ports;
import org.junit.After;
import org.junit.Test;

/**
 * The chaos bank test in {@code mvn verify}: three node JVMs on the test Cassandra, a minute of
 * random one-leg, multi-leg and two-phase transfers among a dozen accounts while nodes are
 * SIGKILLed and started again (one at a time; at least two kills, the run goes on until then),
 * then every unknown outcome settled by retrying the same request and every check of
 * {@link Chaos} asserted. The long run is
 * {@code ./ledger chaos --duration 10m} against {@code ./ledger cluster up}. Seeded; the seed is
 * printed (rerun with -Dledger.chaos.seed=S; -Dledger.chaos.duration=90s for a longer run).
 */
public class ChaosBankTest {
  private static final long SEED = Long.getLong("ledger.chaos.seed", System.nanoTime());
  private static final Duration DURATION = Duration.parse("PT" + System.getProperty("ledger.chaos.duration", "60s"));
  private final List<ClusterNodeProcess> nodes = new ArrayList<>();
  private final List<ClusterNodeProcess> stopped = new ArrayList<>();

  @After
  public void stopNodes() throws Exception {
    List<ClusterNodeProcess> every = new ArrayList<>(nodes);
    every.addAll(stopped);
    for (ClusterNodeProcess node : every) {
      node.kill();
    }
  }

  @Test
  public void theBooksStayExactWhileNodesAreKilledAndRestarted() throws Exception {
    System.out.println("ChaosBankTest seed=" + SEED + " (rerun with -Dledger.chaos.seed=" + SEED + ")");
    long began = System.nanoTime();
    String keyspace = "it_chaos";
    Config cassandra = ClusterNodeProcess.schema(keyspace);
    Path logs = ClusterNodeProcess.logFolder("chaos-");
    List<Ports> ports = List.of(Ports.free(), Ports.free(), Ports.free());
    ClusterNodeProcess.startAll(ports, keyspace, logs, nodes);
    System.out.printf("ChaosBankTest: 3 nodes up after %.1f s%n", (System.nanoTime() - began) / 1e9);

    Chaos.Result result = Chaos.run(new Chaos.Settings(nodes.stream().map(ClusterNodeProcess::url).toList(), TestKeys.key().text(), 12, 8,
        DURATION, Duration.ofSeconds(2), Duration.ofSeconds(6), Duration.ofSeconds(1), Duration.ofSeconds(4), 2, SEED),
        new Chaos.Nodes() {
          private int restarts;

          @Override
          public void kill(int node) throws Exception {
            ClusterNodeProcess victim = nodes.get(node);
            victim.kill();
            stopped.add(victim);
          }

          @Override
          public void start(int node) throws Exception {
            // A node can also die by itself: on a starved box the resolver may down a node whose
            // heartbeats come late (a restarting one, or a bystander), and a downed node exits.
            // As Kubernetes would, such a node is started again, at most twice per start asked.
            for (int attempt = 0; ; attempt++) {
              for (int i = 0; i < nodes.size(); i++) {
                boolean asked = i == node && attempt == 0;  // killed by the run, already in stopped
                if (asked || !nodes.get(i).alive()) {
                  if (!asked) {
                    System.out.printf("ChaosBankTest: node %d exited by itself (downed); started again%n", i + 1);
                    stopped.add(nodes.get(i));
                  }
                  nodes.set(i, ClusterNodeProcess.start(ports.get(i), ports, keyspace,
                      logs.resolve("node-" + (i + 1) + "-restart-" + ++restarts + ".log")));
                }
              }
              try {
                for (ClusterNodeProcess n : nodes) {
                  n.awaitUp(3, Duration.ofSeconds(150));
                }
                return;
              } catch (AssertionError exited) {
                if (attempt >= 2 || !String.valueOf(exited.getMessage()).startsWith("node exited")) {
                  throw exited;
                }
              }
            }
          }
        });
    System.out.printf("ChaosBankTest: %.1f s in all (seed %d)%n", (System.nanoTime() - began) / 1e9, SEED);

    String seed = " (seed " + SEED + ")";
    assertTrue("at least two kills and restarts" + seed + ": " + result.faults(), result.kills() >= 2);
    assertTrue("load was applied" + seed + ": " + result.operations(), result.acknowledged() > 100);
    assertTrue("the kills left outcomes unknown, so settling was exercised" + seed + ": " + result.operations(),
        result.unknown() > 0);
    for (Chaos.Check check : result.checks()) {
      assertTrue(check.name() + seed + ": " + check.figures(), check.ok());
    }
    assertEquals("journals written by two incarnations at once" + seed, List.of(),
        JournalWriters.interleaved(cassandra, keyspace));
  }
}
