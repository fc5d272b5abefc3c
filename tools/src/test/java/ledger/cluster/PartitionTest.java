package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Tcp;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import ledger.tools.Recovery;
import ledger.testing.ClusterNodeProcess;
import ledger.testing.ClusterNodeProcess.Placement;
import ledger.testing.ClusterNodeProcess.Ports;
import ledger.testing.NetworkNamespaces;
import ledger.testing.TestCassandra;
import ledger.testing.TestNodes;
import org.junit.After;
import org.junit.Test;

/**
 * A network partition: three nodes, each in its own network namespace (its own host), form a
 * cluster; under load node 3 is cut off from the other two, both ways, while it still reaches
 * Cassandra and the clients: the case where a node that kept its accounts would write them
 * beside their new home. The minority downs itself (keep-majority) and its process exits; the
 * majority downs it and serves all accounts; no entity ever ran in two places (every journal
 * is one writer after another, never two interleaved, no sequence number written twice); no
 * acknowledged transfer is lost, balances are exact, S1 holds; after the cut heals, the node,
 * started again, rejoins.
 */
public class PartitionTest {
  private static final long SEED = Long.getLong("ledger.partition.seed", System.nanoTime());
  private static final String KEYSPACE = "it_partition";
  private final List<ClusterNodeProcess> nodes = new ArrayList<>();
  private NetworkNamespaces network;
  private ActorSystem<Void> relaySystem;

  @After
  public void tearDown() throws Exception {
    for (ClusterNodeProcess node : nodes) {
      node.kill();
    }
    if (relaySystem != null) {
      relaySystem.terminate();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  public void theMinorityDownsItselfTheMajorityServesAndNoAccountRunsTwice() throws Exception {
    System.out.println("PartitionTest seed=" + SEED + " (rerun with -Dledger.partition.seed=" + SEED + ")");
    Config cassandra = ClusterNodeProcess.schema(KEYSPACE);
    network = NetworkNamespaces.create(3);
    String relay = relayToCassandra();

    Path logs = ClusterNodeProcess.logFolder("partition-");
    List<Placement> placements = new ArrayList<>();
    List<Ports> ports = new ArrayList<>();
    List<String> contactPoints = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      placements.add(new Placement(NetworkNamespaces.address(i), network.runOn(i)));
      ports.add(Ports.free());
      contactPoints.add(NetworkNamespaces.address(i) + ":" + ports.get(i - 1).management());
    }
    for (int i = 0; i < 3; i++) {
      nodes.add(ClusterNodeProcess.start(placements.get(i), ports.get(i), contactPoints, relay, KEYSPACE,
          logs.resolve("node-" + (i + 1) + ".log")));
    }
    for (ClusterNodeProcess node : nodes) {
      node.awaitUp(3, Duration.ofSeconds(150));
    }

    ClusterNodeProcess cutOff = nodes.get(2);
    long[] cutAt = new long[1];
    CompletableFuture<Long> exitedAt = cutOff.process().onExit().thenApply(p -> System.nanoTime());
    Recovery.Outcome outcome = Recovery.measure(RecoveryChecks.settings(nodes, SEED),
        Recovery.Fault.partition(2, () -> {
          cutAt[0] = System.nanoTime();
          network.isolate(3);
        }));
    System.out.println("PartitionTest " + outcome);

    long exited = exitedAt.get(60, TimeUnit.SECONDS); // else the cut-off node did not exit: fails
    System.out.printf("PartitionTest: the cut-off node exited %d ms after the cut%n", (exited - cutAt[0]) / 1_000_000);
    assertTrue("the cut-off node's resolver took the decision to down itself:\n" + cutOff.log(),
        cutOff.log().contains("SBR took decision DownReachable"));
    assertTheMajorityFencedTheMinorityAfterItStopped(cutOff.log(), nodes.get(0).log() + nodes.get(1).log());
    assertEquals("the majority removed the cut-off node", 2, nodes.get(0).upMembers());
    RecoveryChecks.assertRecovered(outcome, "cut", " by the majority", 50);
    assertEquals("journals written by two live incarnations at once", List.of(), JournalWriters.interleaved(cassandra, KEYSPACE));

    network.healAll();
    ClusterNodeProcess restarted = ClusterNodeProcess.start(placements.get(2), ports.get(2), contactPoints, relay,
        KEYSPACE, logs.resolve("node-3b.log"));
    nodes.set(2, restarted);
    RecoveryChecks.assertRejoinsAndServes(restarted, outcome, "the rejoined node serves");
  }

  /**
   * The cut-off node must stop writing before the majority starts its shards again. That no
   * longer rests on a margin between the two sides' resolvers (down-removal-margin is 1 ms) but
   * on fencing (docs/design.md "Fencing"): the majority starts the node's shards only after it
   * revoked the node's lease, which it can do only once the lease stood still for the lease
   * duration. The cut-off node still reaches Cassandra here, so it renews until its own
   * resolver downs it; both moments are in the node logs (WARN, same host clock). Without the
   * fence there is no revocation line and this fails.
   */
  private static void assertTheMajorityFencedTheMinorityAfterItStopped(String minorityLog, String majorityLogs) {
    java.util.regex.Matcher down = java.util.regex.Pattern.compile("node (\\S+) is down: no more journal writes")
        .matcher(minorityLog);
    assertTrue("the cut-off node ended its node lease when it was downed:\n" + minorityLog, down.find());
    String self = down.group(1);
    Instant stopped = decisionTime(minorityLog, "node " + self + " is down: no more journal writes");
    Instant majority = decisionTime(majorityLogs, "SBR took decision DownUnreachable");
    Instant fenced = decisionTime(majorityLogs, "lease of node [" + self + "] revoked");
    System.out.printf("PartitionTest: the minority downed itself %d ms after the majority decided; the majority fenced"
        + " it %d ms after it stopped writing%n", Duration.between(majority, stopped).toMillis(),
        Duration.between(stopped, fenced).toMillis());
    assertTrue("the majority fenced the cut-off node (" + fenced + ") only after it had stopped writing (" + stopped
        + ")", fenced.isAfter(stopped));
  }

  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

  /** The earliest log line containing {@code text}: the logback ISO8601 date at its start. */
  private static Instant decisionTime(String log, String text) {
    return log.lines().filter(line -> line.contains(text))
        .map(line -> LocalDateTime.parse(line.substring(0, 23), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant())
        .min(Instant::compareTo)
        .orElseThrow(() -> new AssertionError("no log line with \"" + text + "\""));
  }

  /**
   * The test Cassandra listens on loopback, which the namespaces do not share; a TCP relay on
   * the bridge address forwards to it. Returns the relay's {@code host:port}.
   */
  private String relayToCassandra() throws Exception {
    relaySystem = ActorSystem.create(Behaviors.empty(), "cassandra-relay",
        ConfigFactory.parseString("akka.actor.provider = local\nakka.loglevel = WARNING")
            .withFallback(ConfigFactory.defaultReference()));
    String[] target = TestCassandra.contactPoint().split(":");
    int port = TestNodes.freePort();
    Tcp tcp = Tcp.get(relaySystem);
    tcp.bind(NetworkNamespaces.gatewayAddress(), port)
        .to(Sink.foreach(connection -> connection.handleWith(
            tcp.outgoingConnection(target[0], Integer.parseInt(target[1])), relaySystem)))
        .run(relaySystem)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return NetworkNamespaces.gatewayAddress() + ":" + port;
  }

  /** The journal check above can fail: it sees a repeated sequence number and interleaved writers. */
  @Test
  public void theSecondWriterCheckSeesInterleavingAndRepeats() {
    Map<String, List<JournalWriters.Write>> journals = Map.of(
        "moved", List.of(write(1, "a"), write(2, "a"), write(3, "b"), write(4, "c")),
        "twice", List.of(write(1, "a"), write(2, "a"), write(2, "b")),
        "interleaved", List.of(write(3, "a"), write(1, "a"), write(2, "b")));
    assertEquals(List.of("interleaved: writer a wrote again at 3 after b", "twice: sequence number 2 written twice"),
        JournalWriters.secondWriters(journals));
  }

  private static JournalWriters.Write write(long sequenceNr, String writer) {
    return new JournalWriters.Write(sequenceNr, writer);
  }
}
