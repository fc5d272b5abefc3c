package ledger.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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

  private final Ports ports;
  private final Path log;
  private final Process process;

  private ClusterNodeProcess(Ports ports, Path log, Process process) {
    this.ports = ports;
    this.log = log;
    this.process = process;
  }

  /** Starts a node; {@code all} are the ports of every node of the cluster (its contact points). */
  public static ClusterNodeProcess start(Ports ports, List<Ports> all, String keyspace, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "ledger.Main", "local-node").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    var env = pb.environment();
    env.put("LEDGER_HTTP_PORT", Integer.toString(ports.http()));
    env.put("LEDGER_MANAGEMENT_PORT", Integer.toString(ports.management()));
    env.put("LEDGER_REMOTING_PORT", Integer.toString(ports.remoting()));
    env.put("LEDGER_CASSANDRA_CONTACT_POINTS", TestCassandra.contactPoint());
    env.put("LEDGER_CASSANDRA_KEYSPACE", keyspace);
    env.put("LEDGER_CONTACT_POINTS", String.join(",",
        all.stream().map(p -> "127.0.0.1:" + p.management()).toList()));
    return new ClusterNodeProcess(ports, log, pb.start());
  }

  public Process process() {
    return process;
  }

  public String url() {
    return "http://127.0.0.1:" + ports.http();
  }

  public TestHttp management() {
    return new TestHttp("http://127.0.0.1:" + ports.management());
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
