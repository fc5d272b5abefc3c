package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.jackson.JacksonCborSerializer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import ledger.LedgerNode;
import ledger.account.AccountEntity;
import ledger.account.AccountSpec;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * A node wired as in production: it forms its cluster through Cluster Bootstrap (config
 * discovery, the same code path as Kubernetes), serves /ready, /alive and /cluster/members,
 * runs the split brain resolver, and serializes only with Jackson CBOR.
 */
public class NodeWiringTest {

  @Test
  public void bootstrapFormsTheClusterAndManagementAnswers() throws Exception {
    int management = TestNodes.freePort();
    Config config = ConfigFactory.parseMap(Map.of(
            "ledger.cluster.join", "bootstrap",
            "akka.management.http.port", management,
            "akka.management.cluster.bootstrap.contact-point-discovery.discovery-method", "config",
            "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr", 1,
            "akka.management.cluster.bootstrap.contact-point-discovery.stable-margin", "1s",
            "ledger.http.port", 0))
        .withFallback(ConfigFactory.parseString(
            "akka.discovery.config.services.ledger.endpoints = [{host = \"127.0.0.1\", port = " + management + "}]"))
        .withFallback(TestNodes.inMemoryNode());
    LedgerNode node = LedgerNode.start(ConfigFactory.load(config), Duration.ofSeconds(30));
    try {
      TestHttp mgmt = new TestHttp("http://127.0.0.1:" + management);
      assertEquals(200, mgmt.get("/alive").status());
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (mgmt.get("/ready").status() != 200 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertEquals("ready once bootstrap formed the cluster", 200, mgmt.get("/ready").status());
      var members = mgmt.get("/cluster/members").json();
      assertEquals(1, members.get("members").size());
      assertEquals("Up", members.get("members").get(0).get("status").asText());

      akka.cluster.Cluster cluster = akka.cluster.Cluster.get(akka.actor.typed.javadsl.Adapter.toClassic(node.system()));
      assertEquals("ledger.cluster.ShortTickDowningProvider", cluster.settings().DowningProviderClassName());
      assertEquals("keep-majority",
          node.system().settings().config().getString("akka.cluster.split-brain-resolver.active-strategy"));
    } finally {
      node.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  public void accountsAreRememberedOnlyWhereNoSweeperCanRestartThem() {
    Config on = ConfigFactory.parseString("ledger.projection.enabled = on").withFallback(TestNodes.singleNode(Map.of()));
    Config off = ConfigFactory.parseString("ledger.projection.enabled = off").withFallback(on);
    assertFalse("projections on: the held-leg sweeper restarts held accounts", LedgerNode.rememberAccounts(on));
    assertTrue("no projections, no pending_legs to sweep", LedgerNode.rememberAccounts(off));
    assertTrue(LedgerNode.rememberAccounts(ConfigFactory.parseString("ledger.account.remember-entities = on")
        .withFallback(on)));
    try {
      LedgerNode.rememberAccounts(ConfigFactory.parseString("ledger.account.remember-entities = off")
          .withFallback(off));
      throw new AssertionError("off without projections would leave held legs to nobody (S6)");
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().contains("needs the projections"));
    }
  }

  @Test
  public void messagesAreJacksonCborAndJavaSerializationIsOff() {
    LedgerNode node = LedgerNode.start(TestNodes.inMemoryNode(), Duration.ofSeconds(30));
    try {
      assertFalse(node.system().settings().config().getBoolean("akka.actor.allow-java-serialization"));
      Serialization serialization = SerializationExtension.get(node.system());
      Object[] samples = {
          new AccountEntity.Created("a", new AccountSpec("USD", 0L, null, Map.of("k", "v")), java.time.Instant.now()),
          new AccountEntity.Refusal(ledger.core.ResultCode.ACCOUNT_NOT_FOUND, "x"),
          new AccountEntity.Empty()};
      for (Object sample : samples) {
        assertTrue(sample.getClass() + " uses CBOR",
            serialization.findSerializerFor(sample) instanceof JacksonCborSerializer);
      }
      try {
        serialization.serialize(new java.util.ArrayList<>(java.util.List.of("not a ledger message"))).get();
        throw new AssertionError("a Java-serializable class without the marker must not serialize");
      } catch (RuntimeException expected) {
        // DisabledJavaSerializer refuses it.
      }
    } finally {
      node.stop(Duration.ofSeconds(30));
    }
  }

  /**
   * Partition safety rests on fencing, not on the removal margin (docs/design.md "Fencing"):
   * every journal and snapshot write goes through the fenced stores, and every shard and
   * singleton takes the fencing lease before it starts. The margin is then only a positive
   * nothing (0 or off would make the resolver use stable-after), and stable-after still covers
   * the detection skew, so that a node sees every member cut off from it before it decides.
   */
  @Test
  public void everyWriterIsFencedAndTheTimersRestOnIt() {
    Config config = ConfigFactory.load();
    assertEquals("ledger.fencing.FencedCassandraJournal",
        config.getString("akka.persistence.cassandra.journal.class"));
    assertEquals("ledger.fencing.FencedCassandraJournal",
        config.getString("ledger.transfer-persistence.journal.class"));
    // Accounts and coordinators write to the ledger's own journal, which checks the same lease.
    assertEquals("ledger.account-journal", ledger.journal.Journals.accountPluginId(config));
    assertEquals("ledger.transfer-journal", ledger.journal.Journals.transferPluginId(config));
    assertEquals("ledger.journal.LedgerJournal", config.getString("ledger.account-journal.class"));
    assertEquals("ledger.journal.LedgerJournal", config.getString("ledger.transfer-journal.class"));
    assertEquals("ledger.fencing.FencedCassandraSnapshotStore",
        config.getString("akka.persistence.cassandra.snapshot.class"));
    assertEquals("ledger.fencing.shard-lease", config.getString("akka.cluster.sharding.use-lease"));
    assertEquals("ledger.fencing.shard-lease", config.getString("akka.cluster.singleton.use-lease"));
    assertEquals("ledger.fencing.shard-lease",
        config.getString("akka.cluster.sharded-daemon-process.sharding.use-lease"));
    assertEquals("ledger.fencing.FencingLease", config.getString("ledger.fencing.shard-lease.lease-class"));
    assertTrue(config.getBoolean("ledger.fencing.enabled"));
    ledger.fencing.NodeLease.Settings.fromConfig(config);
    Duration margin = config.getDuration("akka.cluster.down-removal-margin");
    assertTrue("down-removal-margin " + margin + " must be positive", margin.compareTo(Duration.ZERO) > 0);
    Duration skew = config.getDuration("akka.cluster.failure-detector.heartbeat-interval")
        .plus(config.getDuration("akka.cluster.unreachable-nodes-reaper-interval"));
    Duration stableAfter = config.getDuration("akka.cluster.split-brain-resolver.stable-after");
    assertTrue("stable-after " + stableAfter + " covers the detection skew " + skew,
        stableAfter.compareTo(skew) >= 0);
  }
}
