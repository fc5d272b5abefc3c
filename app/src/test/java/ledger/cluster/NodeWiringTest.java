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
  public void messagesAreJacksonCborAndJavaSerializationIsOff() {
    LedgerNode node = LedgerNode.start(TestNodes.inMemoryNode(), Duration.ofSeconds(30));
    try {
      assertFalse(node.system().settings().config().getBoolean("akka.actor.allow-java-serialization"));
      Serialization serialization = SerializationExtension.get(node.system());
      Object[] samples = {
          new AccountEntity.Created("a", new AccountSpec("USD", 0L, null, Map.of("k", "v")), java.time.Instant.now()),
          new AccountEntity.Rejected(ledger.core.ResultCode.ACCOUNT_NOT_FOUND, "x"),
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
}
