package ledger.fencing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import ledger.LedgerNode;
import ledger.account.AccountEntity;
import ledger.cassandra.CassandraSchema;
import ledger.metrics.Metrics;
import ledger.testing.TestCassandra;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.After;
import org.junit.Test;

/**
 * An old incarnation's late write is refused, on the real Cassandra: a node whose renewals
 * stall (as in a long pause, or cut off while its shards move) is fenced by another node, and
 * from then on its journal writes fail before they reach Cassandra; when it wakes, it finds its
 * lease revoked, never writes again, and leaves.
 */
public class FencingIntegrationTest {
  private static final String KEYSPACE = "it_fencing";
  private final int httpPort = TestNodes.freePort();
  private LedgerNode node;
  private ScheduledExecutorService ticks;

  private Config config() {
    return TestNodes.singleNode(Map.of(
        "ledger.http.port", httpPort,
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", KEYSPACE,
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "ledger.projection.enabled", "off",
        "ledger.recon.enabled", "off"));
  }

  @After
  public void stop() {
    if (ticks != null) {
      ticks.shutdownNow();
    }
    if (node != null) {
      node.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  public void aNodeFencedByAnotherWritesNothingMoreAndLeaves() throws Exception {
    Config config = config();
    CassandraSchema.apply(config);
    node = LedgerNode.start(config, Duration.ofSeconds(60));
    TestHttp http = new TestHttp("http://127.0.0.1:" + httpPort);
    NodeLease lease = Fencing.get(node.system()).lease();
    await("the node holds its lease", lease::holds, 20_000);
    assertEquals(201, http.post("/accounts", "{\"id\":\"before\",\"currency\":\"USD\"}").status());

    // The node's renewals stall; everything else on it runs on.
    lease.pauseRenewals(true);
    CqlSession cql = CassandraSessionRegistry.get(node.system()).sessionFor("akka.persistence.cassandra")
        .underlying().toCompletableFuture().get(10, TimeUnit.SECONDS);
    NodeLease.Settings settings = lease.settings();
    // Another node, to which the stalled one is no member (it was downed and removed there).
    NodeLease taker = new NodeLease("taker#1", settings,
        new CassandraLeaseTable(() -> CompletableFuture.completedFuture(cql), KEYSPACE, Duration.ofSeconds(2),
            Duration.ofHours(1)),
        System::nanoTime, Set::of, () -> { });
    ticks = Executors.newSingleThreadScheduledExecutor();
    ticks.scheduleWithFixedDelay(taker::tick, 0, settings.renewInterval().toMillis(), TimeUnit.MILLISECONDS);
    taker.take();
    long asked = System.nanoTime();
    boolean fenced = taker.awaitFenced().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long waitedMs = (System.nanoTime() - asked) / 1_000_000;
    assertTrue("the taker fences the stalled node", fenced);
    // Not before the stalled node had stopped writing by its own clock.
    assertFalse("fenced while the old incarnation could still write", lease.allowsWrite());
    assertTrue("fenced after " + waitedMs + " ms, sooner than duration - renew-interval",
        waitedMs >= settings.duration().minus(settings.renewInterval()).toMillis());
    assertEquals(NodeLease.REVOKED, epochOf(cql, lease.self()));

    // The old incarnation's late writes: refused before Cassandra, so nothing lands.
    double refusedBefore = refused(node);
    TestHttp.Response late = http.post("/accounts", "{\"id\":\"late\",\"currency\":\"USD\"}");
    assertNotEquals("a write of the fenced node was acknowledged: " + late.body(), 201, late.status());
    assertEquals("events of the fenced node's write in the journal", 0,
        cql.execute(SimpleStatement.newInstance("SELECT sequence_nr FROM " + KEYSPACE
            + ".messages WHERE persistence_id = ? AND partition_nr = 0", AccountEntity.persistenceId("late").id()))
            .all().size());
    assertTrue("refused journal writes are counted", refused(node) > refusedBefore);
    // Nor a snapshot: recovery starts from the newest, so an old incarnation's would win.
    akka.actor.ActorSystem classic = akka.actor.typed.javadsl.Adapter.toClassic(node.system());
    akka.actor.ActorRef snapshots = akka.persistence.Persistence.get(classic)
        .snapshotStoreFor("", com.typesafe.config.ConfigFactory.empty());
    akka.actor.testkit.typed.javadsl.TestProbe<Object> probe =
        akka.actor.testkit.typed.javadsl.TestProbe.create(node.system());
    String pid = AccountEntity.persistenceId("before").id();
    snapshots.tell(new akka.persistence.SnapshotProtocol.SaveSnapshot(
        new akka.persistence.SnapshotMetadata(pid, 99, System.currentTimeMillis()), "stale"), akka.actor.typed.javadsl.Adapter.toClassic(probe.ref()));
    probe.expectMessageClass(akka.persistence.SaveSnapshotFailure.class, Duration.ofSeconds(10));
    assertEquals("snapshots of the fenced node in the store", 0,
        cql.execute(SimpleStatement.newInstance("SELECT sequence_nr FROM " + KEYSPACE
            + ".snapshots WHERE persistence_id = ? AND sequence_nr = 99", pid)).all().size());

    // It wakes: its next renewal finds the lease revoked; it never writes again and leaves.
    lease.pauseRenewals(false);
    assertTrue("the fenced node leaves the cluster and stops", node.awaitTermination(Duration.ofSeconds(30)));
    assertFalse(lease.allowsWrite());
    node = null;
  }

  private static double refused(LedgerNode node) {
    Double v = Metrics.get(node.system()).fencedWrites.labels("journal").get();
    return v == null ? 0 : v;
  }

  private static long epochOf(CqlSession cql, String nodeId) {
    return cql.execute(SimpleStatement.newInstance("SELECT epoch FROM " + KEYSPACE + ".node_leases WHERE node = ?",
        nodeId)).one().getLong(0);
  }

  private static void await(String what, java.util.function.BooleanSupplier condition, long millis)
      throws InterruptedException {
    long end = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }
}
