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
      assertEquals("akka.cluster.sbr.SplitBrainResolverProvider", cluster.settings().DowningProviderClassName());
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
   * The timers behind partition safety (application.conf, down-removal-margin): a cut-off node
   * must stop its entities before the majority starts them. Each side's resolver decides
   * stable-after after it saw the cut, on its own tick (fixed at 1 s in Akka 2.6.21,
   * SplitBrainResolverBase.tickInterval), and the sides see the cut up to one heartbeat plus one
   * reaper check apart: the margin must cover tick + skew. stable-after must cover the skew too,
   * so that a node sees every member cut off from it before it decides.
   */
  @Test
  public void theRemovalMarginCoversTheResolversTickAndTheDetectionSkew() {
    Config config = ConfigFactory.load();
    Duration tick = Duration.ofSeconds(1);
    Duration skew = config.getDuration("akka.cluster.failure-detector.heartbeat-interval")
        .plus(config.getDuration("akka.cluster.unreachable-nodes-reaper-interval"));
    Duration margin = config.getDuration("akka.cluster.down-removal-margin");
    Duration stableAfter = config.getDuration("akka.cluster.split-brain-resolver.stable-after");
    assertTrue("down-removal-margin " + margin + " covers the resolver tick " + tick + " + detection skew " + skew,
        margin.compareTo(tick.plus(skew)) >= 0);
    assertTrue("stable-after " + stableAfter + " covers the detection skew " + skew,
        stableAfter.compareTo(skew) >= 0);
  }
}
