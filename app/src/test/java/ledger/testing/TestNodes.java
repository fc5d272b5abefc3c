package ledger.testing;

import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

/** Configurations for ledger nodes started inside the test JVM. */
public final class TestNodes {
  private TestNodes() {}

  /** A single self-joining node on free loopback ports, accepting the test key ({@link TestKeys}). */
  public static Config singleNode(Map<String, Object> overrides) {
    Config ports = ConfigFactory.parseMap(Map.of(
        "ledger.http.interface", "127.0.0.1",
        "ledger.http.port", 0,
        "akka.management.http.port", freePort(),
        "akka.management.http.bind-hostname", "127.0.0.1",
        "akka.remote.artery.canonical.port", freePort(),
        "ledger.cluster.join", "self")).withFallback(ConfigFactory.parseMap(TestKeys.nodeConfig()));
    return ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ports)
        .withFallback(ConfigFactory.parseResources("application.conf")));
  }

  /**
   * A single node on the test Cassandra, in its own keyspace (schema applied by the caller),
   * with projections and recon on; the events-by-tag scan starts at today's bucket.
   */
  public static Config onCassandra(String keyspace, Map<String, Object> overrides) {
    Map<String, Object> settings = new java.util.HashMap<>(Map.of(
        "ledger.cassandra.contact-points", TestCassandra.contactPoint(),
        "ledger.cassandra.keyspace", keyspace,
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "akka.persistence.cassandra.events-by-tag.first-time-bucket",
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'00:00")
            .format(java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).atStartOfDay())));
    settings.putAll(overrides);
    return singleNode(settings);
  }

  /** The same, journaling to Akka's in-memory persistence testkit instead of Cassandra. */
  public static Config inMemoryNode() {
    Config inMemory = PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseString("ledger.transfer.journal-plugin = \"\"\n"
            + "ledger.journal.implementation = default\n"
            // No Cassandra: no projections, no recon (their tests run on the embedded Cassandra).
            + "ledger.projection.enabled = off\nledger.recon.enabled = off\n"
            // Nothing to fence: the in-memory journal lives and dies with this JVM.
            + "ledger.fencing.enabled = off\n"
            // No api_keys table either: the node keeps the test key in memory.
            + "ledger.auth.store = memory"));
    return inMemory.withFallback(singleNode(Map.of())).resolve();
  }

  /** Ports handed out by this JVM: nodes started later bind them, so none is handed out twice. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A port free now and never returned before by this JVM. The OS may give a just-closed port
   * again, and a node process binds its ports only later: without the set, one node's HTTP port
   * was once another's management port (ClusterRecoveryTest could not form its cluster).
   */
  public static int freePort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no port free and not handed out before, after 100 tries");
  }
}
