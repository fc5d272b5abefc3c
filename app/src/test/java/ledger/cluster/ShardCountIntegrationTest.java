package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.ShardRegion;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import ledger.LedgerNode;
import ledger.account.AccountEntity;
import ledger.cassandra.CassandraConnection;
import ledger.cassandra.CassandraSchema;
import ledger.testing.TestCassandra;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.After;
import org.junit.Test;

/**
 * The shard count's record on the real Cassandra (cluster_settings and the journal's messages),
 * and a real node: it refuses to start with a count other than the recorded one, and with auto
 * it runs every account in the shard the recorded count gives.
 */
public class ShardCountIntegrationTest {
  private final int httpPort = TestNodes.freePort();
  private LedgerNode node;

  private Config config(String keyspace, String shards) {
    Map<String, Object> settings = new HashMap<>(Map.of(
        "ledger.http.port", httpPort,
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", keyspace,
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "ledger.projection.enabled", "off",
        "ledger.recon.enabled", "off",
        "ledger.shards.number", shards));
    return TestNodes.singleNode(settings);
  }

  @After
  public void stop() {
    if (node != null) {
      node.stop(Duration.ofSeconds(30));
    }
  }

  private static int agree(CqlSession cql, String keyspace, Integer configured) {
    ShardCount.Settings settings = new ShardCount.Settings(Optional.ofNullable(configured), 100, 1000,
        Duration.ofSeconds(20), Duration.ofMillis(200));
    return ShardCount.agree(settings,
        new CassandraShardCountStore(() -> CompletableFuture.completedFuture(cql), keyspace, keyspace), System::nanoTime);
  }

  @Test
  public void theCountIsRecordedOnceAndCheckedAfter() {
    try (CqlSession cql = CassandraConnection.openSession(config("system", "auto"))) {
      // Only the two tables the record reads, as schema/ledger.cql and the journal's schema make them.
      for (String keyspace : new String[] {"it_shards_new", "it_shards_old"}) {
        for (String statement : CassandraSchema.statements(config(keyspace, "auto"))) {
          if (statement.startsWith("CREATE KEYSPACE") || statement.contains("." + "messages (")
              || statement.contains(".cluster_settings (")) {
            cql.execute(statement);
          }
        }
      }
      assertEquals("a new cluster records the default", 100, agree(cql, "it_shards_new", null));
      assertEquals("100", cql.execute(SimpleStatement.newInstance(
          "SELECT value FROM it_shards_new.cluster_settings WHERE name = 'number-of-shards'")).one().getString(0));
      assertEquals(100, agree(cql, "it_shards_new", 100));
      assertThrows(ShardCount.Disagreement.class, () -> agree(cql, "it_shards_new", 30));

      // A cluster whose coordinator wrote before counts were recorded ran with Akka's setting.
      cql.execute(SimpleStatement.newInstance("INSERT INTO it_shards_old.messages (persistence_id, partition_nr, "
          + "sequence_nr, timestamp, timebucket, writer_uuid, ser_id, ser_manifest, event_manifest, event) "
          + "VALUES (?, 0, 1, now(), '0', 'w', 1, '', '', 0x00)", CassandraShardCountStore.COORDINATOR));
      assertEquals(1000, agree(cql, "it_shards_old", null));
      assertThrows(ShardCount.Disagreement.class, () -> agree(cql, "it_shards_old", 100));
    }
  }

  @Test
  public void aNodeRefusesAnotherCountAndRunsWithTheRecordedOne() throws Exception {
    String keyspace = "it_shards_node";
    CassandraSchema.apply(config(keyspace, "auto"));
    try (CqlSession cql = CassandraConnection.openSession(config(keyspace, "auto"))) {
      assertEquals(30, agree(cql, keyspace, 30));
    }

    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> node = LedgerNode.start(config(keyspace, "100"), Duration.ofSeconds(60)));
    assertTrue(refused.getMessage(), refused.getMessage().contains("runs with 30 shards"));

    node = LedgerNode.start(config(keyspace, "auto"), Duration.ofSeconds(60));
    TestHttp http = new TestHttp("http://127.0.0.1:" + httpPort);
    String id = "acct-shards";
    TestHttp.Response created = http.post("/accounts", "{\"id\":\"" + id + "\",\"currency\":\"USD\"}");
    assertEquals(created.body(), 201, created.status());
    TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.system());
    ClusterSharding.get(node.system()).shardState().tell(new GetShardRegionState(AccountEntity.TYPE_KEY, probe.ref()));
    ShardRegion.CurrentShardRegionState state = probe.receiveMessage(Duration.ofSeconds(10));
    String expected = Integer.toString(Math.abs(id.hashCode() % 30));
    assertTrue("the account runs in shard " + expected + " of 30: " + state.getShards(),
        state.getShards().stream().anyMatch(s -> s.shardId().equals(expected) && s.getEntityIds().contains(id)));
  }
}
