package ledger.tools;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import ledger.tools.FailoverTimeline.Stage;
import ledger.tools.FailoverTimeline.Timeline;
import org.junit.Test;

public class FailoverTimelineTest {
  private static final ZoneId UTC = ZoneId.of("UTC");
  private static final Instant KILL = Instant.parse("2026-12-06T15:20:01.000Z");
  private static final Instant END = Instant.parse("2026-12-06T15:20:20.000Z");

  /** Lines as a node of ./ledger cluster logs them (%date{ISO8601} %-5level %logger{36} %X{akkaSource} - %msg; the Akka ones taken from a run), node 1 killed. */
  private static final List<String> LINES = List.of(
      "2026-12-06 15:20:00,990 WARN  akka.cluster.Cluster Cluster(akka://ledger)"
          + " - Cluster Node [akka://ledger@127.0.0.1:25522] - Marking node as UNREACHABLE"
          + " [Member(akka://ledger@127.0.0.1:25521, Up)].",
      "2026-12-06 15:20:01,480 INFO  ledger.audit  - {\"action\":\"transfer.create\",\"status\":201}",
      "2026-12-06 15:20:02,523 WARN  akka.cluster.Cluster Cluster(akka://ledger)"
          + " - Cluster Node [akka://ledger@127.0.0.1:25522] - Marking node as UNREACHABLE"
          + " [Member(akka://ledger@127.0.0.1:25521, Up)].",
      "2026-12-06 15:20:02,301 WARN  akka.cluster.Cluster Cluster(akka://ledger)"
          + " - Cluster Node [akka://ledger@127.0.0.1:25523] - Marking node as UNREACHABLE"
          + " [Member(akka://ledger@127.0.0.1:25521, Up)].",
      "2026-12-06 15:20:02,310 INFO  akka.cluster.sbr.SplitBrainResolver akka://ledger/system/cluster/core/daemon/downingProvider"
          + " - SBR found unreachable members, waiting for stable-after = 1000 ms before taking downing decision."
          + " Now 1 unreachable members found. Downing decision will not be made before 2026-12-06T15:20:03.310Z.",
      "2026-12-06 15:20:04,210 WARN  akka.cluster.sbr.SplitBrainResolver akka://ledger/system/cluster/core/daemon/downingProvider"
          + " - SBR took decision DownUnreachable and is downing [akka://ledger@127.0.0.1:25521], [1] unreachable of [3]"
          + " members, all members in DC [Member(akka://ledger@127.0.0.1:25521, Up), Member(akka://ledger@127.0.0.1:25522,"
          + " Up), Member(akka://ledger@127.0.0.1:25523, Up)], full reachability status: [akka://ledger@127.0.0.1:25522"
          + " -> akka://ledger@127.0.0.1:25521: Unreachable [Unreachable] (1)]",
      "2026-12-06 15:20:04,212 INFO  akka.cluster.Cluster Cluster(akka://ledger)"
          + " - Cluster Node [akka://ledger@127.0.0.1:25522] - Marking unreachable node [akka://ledger@127.0.0.1:25521]"
          + " as [Down]",
      "2026-12-06 15:20:05,003 INFO  akka.cluster.Cluster Cluster(akka://ledger)"
          + " - Cluster Node [akka://ledger@127.0.0.1:25522] - Leader is removing unreachable node"
          + " [akka://ledger@127.0.0.1:25521]",
      "2026-12-06 15:20:05,020 WARN  ledger.fencing.NodeLease  - lease of node [akka://ledger@127.0.0.1:25522#-8812]"
          + " revoked at epoch 41: its shards may start elsewhere",
      "2026-12-06 15:20:05,410 WARN  ledger.fencing.NodeLease  - lease of node [akka://ledger@127.0.0.1:25521#-1029384]"
          + " revoked at epoch 88: its shards may start elsewhere",
      "2026-12-06 15:20:07,001 INFO  a.c.s.ClusterSingletonManager akka://ledger@127.0.0.1:25522/system/sharding/TransferCoordinator"
          + " - Singleton manager starting singleton actor [akka://ledger/system/sharding/TransferCoordinator/singleton]",
      "2026-12-06 15:20:07,005 INFO  a.c.s.ClusterSingletonManager akka://ledger@127.0.0.1:25522/system/sharding/AccountCoordinator"
          + " - Singleton manager starting singleton actor [akka://ledger/system/sharding/AccountCoordinator/singleton]",
      "2026-12-06 15:20:07,650 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/TransferCoordinator/singleton/coordinator"
          + " - Transfer: Coordinator initialization completed",
      "2026-12-06 15:20:07,700 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/AccountCoordinator/singleton/coordinator"
          + " - Account: Coordinator initialization completed",
      "2026-12-06 15:20:07,760 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/AccountCoordinator/singleton/coordinator"
          + " - Account: Shard [12] allocated at [Actor[akka://ledger/system/sharding/Account#-1293471]]",
      "\tat akka.cluster.sharding.ShardRegion.receive(ShardRegion.scala:1)",
      "2026-12-06 15:20:12,500 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/AccountCoordinator/singleton/coordinator"
          + " - Account: Shard [977] allocated at [Actor[akka://ledger@127.0.0.1:25523/system/sharding/Account#56781]]",
      "2026-12-06 15:20:13,100 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/TransferCoordinator/singleton/coordinator"
          + " - Transfer: Shard [5] allocated at [Actor[akka://ledger/system/sharding/Transfer#-77]]",
      // after the run: the node is back and shards move to it (a rebalance), not part of the failover
      "2026-12-06 15:20:40,000 DEBUG a.c.s.PersistentShardCoordinator akka://ledger@127.0.0.1:25522/system/sharding/AccountCoordinator/singleton/coordinator"
          + " - Account: Shard [3] allocated at [Actor[akka://ledger@127.0.0.1:25521/system/sharding/Account#1]]");

  @Test
  public void readsEveryStageAfterTheKillFromTheSurvivorsLines() {
    Timeline t = FailoverTimeline.read(LINES, "127.0.0.1:25521", KILL, END, 12_800, UTC);
    assertEquals(1_301, t.at(Stage.UNREACHABLE)); // the first survivor to see it; the line before the kill is ignored
    assertEquals(3_210, t.at(Stage.DOWNED));
    assertEquals(4_003, t.at(Stage.REMOVED));
    assertEquals(4_410, t.at(Stage.FENCED)); // the dead node's lease, not an older incarnation's of another
    assertEquals(6_005, t.at(Stage.COORDINATOR_STARTED)); // the account coordinator, not the transfer one
    assertEquals(6_700, t.at(Stage.COORDINATOR_READY));
    assertEquals(11_500, t.at(Stage.SHARDS_ALLOCATED)); // the last account shard before the run's end
    assertEquals(2, t.shardsAllocated());
    assertEquals(12_800, t.lastAccountMillis());
    assertEquals("unreachable +1301 ms, downed +3210 ms, removed +4003 ms, fenced +4410 ms, coordinator started +6005 ms,"
        + " coordinator ready +6700 ms, shards allocated +11500 ms (2 shards), last account +12800 ms", t.toString());
  }

  @Test
  public void aYoungerNodesDeathMovesNoCoordinatorAndTheLeaderMayOnlyMarkItDown() {
    List<String> lines = List.of(
        "2026-12-06 15:20:02,000 WARN  akka.cluster.Cluster x - Cluster Node [akka://ledger@127.0.0.1:25521] - Marking"
            + " node as UNREACHABLE [Member(akka://ledger@127.0.0.1:25523, Up)].",
        "2026-12-06 15:20:03,500 INFO  akka.cluster.Cluster x - Cluster Node [akka://ledger@127.0.0.1:25521] - Marking"
            + " unreachable node [akka://ledger@127.0.0.1:25523] as [Down]",
        "2026-12-06 15:20:04,250 INFO  akka.cluster.Cluster x - Cluster Node [akka://ledger@127.0.0.1:25521] - Leader is"
            + " removing unreachable node [akka://ledger@127.0.0.1:25523]",
        "2026-12-06 15:20:05,000 DEBUG a.c.s.PersistentShardCoordinator x - Account: Shard [40] allocated at"
            + " [Actor[akka://ledger@127.0.0.1:25522/system/sharding/Account#9]]");
    Timeline t = FailoverTimeline.read(lines, "127.0.0.1:25523", KILL, END, 6_000, UTC);
    assertEquals(1_000, t.at(Stage.UNREACHABLE));
    assertEquals(2_500, t.at(Stage.DOWNED));
    assertEquals(3_250, t.at(Stage.REMOVED));
    assertEquals(-1, t.at(Stage.COORDINATOR_STARTED));
    assertEquals(-1, t.at(Stage.COORDINATOR_READY));
    assertEquals(4_000, t.at(Stage.SHARDS_ALLOCATED));
    assertTrue(t.toString(), t.toString().contains("coordinator started -, coordinator ready -,"));
  }

  @Test
  public void linesAboutAnotherNodeDoNotCount() {
    List<String> lines = List.of(
        // another node (a port that starts like the dead one's)
        "2026-12-06 15:20:02,000 WARN  akka.cluster.Cluster x - Cluster Node [akka://ledger@127.0.0.1:25522] - Marking"
            + " node as UNREACHABLE [Member(akka://ledger@127.0.0.1:25521, Up)].",
        // the resolver downing another node names the dead one only in the reachability that follows
        "2026-12-06 15:20:03,000 WARN  a.c.sbr.SplitBrainResolver x - SBR took decision DownUnreachable and is downing"
            + " [akka://ledger@127.0.0.1:25523], [1] unreachable of [3] members, all members in DC"
            + " [Member(akka://ledger@127.0.0.1:2552, Up)]",
        "2026-12-06 15:20:04,000 INFO  akka.cluster.Cluster x - Cluster Node [akka://ledger@127.0.0.1:2552] - Leader is"
            + " removing unreachable node [akka://ledger@127.0.0.1:25523]");
    Timeline t = FailoverTimeline.read(lines, "127.0.0.1:2552", KILL, END, 100, UTC);
    assertTrue(t.stages().toString(), t.stages().isEmpty());
    assertEquals("unreachable -, downed -, removed -, fenced -, coordinator started -, coordinator ready -, shards allocated -,"
        + " last account +100 ms", t.toString());
  }

  @Test
  public void readsOnlyWhatTheLogsGotSinceTheMarkAndSkipsTheDeadNodesLog() throws Exception {
    Path dir = Files.createTempDirectory("timeline");
    Path one = dir.resolve("node-1.log");
    Path two = dir.resolve("node-2.log");
    Files.writeString(one, "old 1\n");
    Files.writeString(two, "old 2\n");
    List<String> logs = List.of(one.toString(), two.toString(), dir.resolve("node-3.log").toString());
    long[] ends = FailoverTimeline.ends(logs);
    assertEquals(0, ends[2]); // not there yet
    Files.writeString(one, "new 1\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    Files.writeString(two, "new 2a\nnew 2b\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    Files.writeString(dir.resolve("node-3.log"), "new 3\n");
    assertEquals(List.of("new 2a", "new 2b", "new 3"), FailoverTimeline.linesSince(logs, ends, 0));
  }
}
