package ledger.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import ledger.cassandra.CassandraSchema;

/**
 * A node of the local cluster ({@code Main local-node}, what {@code ./ledger cluster} starts) as
 * a real separate JVM on the test Cassandra, forming its cluster through Cluster Bootstrap.
 */
public final class ClusterNodeProcess {
  public record Ports(int http, int management, int remoting) {
    public static Ports free() {
      return new Ports(TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort());
    }
  }

  /**
   * Where a node runs: the address it binds and announces, and the command prefix that starts a
   * program there (none on loopback; {@code ip netns exec ...} in a network namespace).
   */
  public record Placement(String host, List<String> prefix) {
    public static final Placement LOOPBACK = new Placement("127.0.0.1", List.of());
  }

  private final Placement placement;
  private final Ports ports;
  private final Path log;
  private final Process process;

  private ClusterNodeProcess(Placement placement, Ports ports, Path log, Process process) {
    this.placement = placement;
    this.ports = ports;
    this.log = log;
    this.process = process;
  }

  /**
   * The keyspace's schema applied on the test Cassandra; returns the configuration that reaches
   * it (for a test's own reads).
   */
  public static Config schema(String keyspace) {
    Config config = ConfigFactory.parseMap(Map.of(
            "ledger.cassandra.keyspace", keyspace,
            "ledger.cassandra.contact-points", TestCassandra.contactPoint()))
        .withFallback(ConfigFactory.load("dev"));
    CassandraSchema.apply(config);
    return config;
  }

  /** A new folder for the nodes' logs under the test data folder. */
  public static Path logFolder(String prefix) throws IOException {
    Path root = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data")));
    return Files.createTempDirectory(root, prefix);
  }

  /**
   * One node per entry of {@code ports} on loopback, added to {@code nodes} as started (so that
   * the caller stops them even if one fails), each waited for until it sees all of them Up.
   */
  public static void startAll(List<Ports> ports, String keyspace, Path logs, List<ClusterNodeProcess> nodes)
      throws Exception {
    for (int i = 0; i < ports.size(); i++) {
      nodes.add(start(ports.get(i), ports, keyspace, logs.resolve("node-" + (i + 1) + ".log")));
    }
    for (ClusterNodeProcess node : nodes) {
      node.awaitUp(ports.size(), Duration.ofSeconds(150));
    }
  }

  /** Starts a node on loopback; {@code all} are the ports of every node of the cluster (its contact points). */
  public static ClusterNodeProcess start(Ports ports, List<Ports> all, String keyspace, Path log) throws IOException {
    return start(Placement.LOOPBACK, ports, all.stream().map(p -> "127.0.0.1:" + p.management()).toList(),
        TestCassandra.contactPoint(), keyspace, log);
  }

  /**
   * Starts a node at {@code placement}, bound to its address; {@code contactPoints} are the
   * management endpoints ({@code host:port}) of every node, {@code cassandra} the contact point.
   */
  public static ClusterNodeProcess start(Placement placement, Ports ports, List<String> contactPoints, String cassandra,
                                         String keyspace, Path log) throws IOException {
    List<String> command = new ArrayList<>(placement.prefix());
    command.addAll(NodeJvm.command());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "ledger.Main", "local-node"));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    var env = pb.environment();
    env.put("LEDGER_HOSTNAME", placement.host());
    env.put("LEDGER_HTTP_INTERFACE", placement.host());
    env.put("LEDGER_MANAGEMENT_BIND_HOSTNAME", placement.host());
    env.put("LEDGER_HTTP_PORT", Integer.toString(ports.http()));
    env.put("LEDGER_MANAGEMENT_PORT", Integer.toString(ports.management()));
    env.put("LEDGER_REMOTING_PORT", Integer.toString(ports.remoting()));
    env.put("LEDGER_CASSANDRA_CONTACT_POINTS", cassandra);
    env.put("LEDGER_CASSANDRA_KEYSPACE", keyspace);
    env.put("LEDGER_CONTACT_POINTS", String.join(",", contactPoints));
    // Every node accepts the test JVM's key (TestKeys), which TestHttp sends.
    env.put("LEDGER_AUTH_HASH_KEY", TestKeys.hashKey());
    env.put("LEDGER_AUTH_BOOTSTRAP_KEY_FILE", TestKeys.bootstrapFile().toString());
    return new ClusterNodeProcess(placement, ports, log, pb.start());
  }

  /** Whether the node's process still runs. */
  public boolean alive() {
    return process.isAlive();
  }

  /** SIGKILLs the node and waits (up to 30 s) until its process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public Process process() {
    return process;
  }

  public String url() {
    return "http://" + placement.host() + ":" + ports.http();
  }

  public TestHttp management() {
    return new TestHttp("http://" + placement.host() + ":" + ports.management());
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  /** Waits until the node is ready (/ready: it is an Up member) and sees {@code members} Up members. */
  public void awaitUp(int members, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited:\n" + log());
      }
      try {
        if (management().get("/ready").status() == 200 && upMembers() == members) {
          return;
        }
      } catch (AssertionError notYet) {
        // not bound yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("node " + ports + " did not see " + members + " Up members within " + timeout + ":\n" + log());
  }

  public int upMembers() throws IOException {
    int up = 0;
    for (var m : management().get("/cluster/members").json().path("members")) {
      if (m.path("status").asText().equals("Up")) {
        up++;
      }
    }
    return up;
  }
}
