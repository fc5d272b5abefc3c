package ledger.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ledger.auth.BootstrapKey;
import ledger.auth.DevAuth;

/** `./ledger dev`'s entry point as a real separate JVM, on the test Cassandra (reused, never stopped). */
public final class DevProcess {
  private final Process process;
  private final Path log;
  private final TestHttp http;

  private DevProcess(Process process, Path log, int httpPort, Path dataDir) {
    this.process = process;
    this.log = log;
    // Dev mode writes its key into the data folder on first start; sent once it is there.
    Path keyFile = dataDir.resolve(DevAuth.KEY_FILE);
    this.http = new TestHttp("http://127.0.0.1:" + httpPort,
        () -> Files.exists(keyFile) ? "Bearer " + BootstrapKey.readOrCreate(keyFile).text() : null);
  }

  /** Starts a node; {@code settings} become -D system properties (they override the config). */
  public static DevProcess start(Path dataDir, int httpPort, String keyspace, Path log, Map<String, String> settings)
      throws IOException {
    List<String> command = new ArrayList<>(NodeJvm.command());
    settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "ledger.Main", "dev"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    var env = pb.environment();
    env.put("LEDGER_DATA_DIR", dataDir.toString());
    env.put("LEDGER_HTTP_PORT", Integer.toString(httpPort));
    env.put("LEDGER_MANAGEMENT_PORT", Integer.toString(TestNodes.freePort()));
    env.put("LEDGER_REMOTING_PORT", Integer.toString(TestNodes.freePort()));
    env.put("LEDGER_CASSANDRA_PORT", Integer.toString(TestCassandra.get().address().getPort()));
    env.put("LEDGER_CASSANDRA_KEYSPACE", keyspace);
    return new DevProcess(pb.start(), log, httpPort, dataDir);
  }

  public Process process() {
    return process;
  }

  public TestHttp http() {
    return http;
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  /** Waits until the node answers HTTP (a 404 for a probe account). */
  public void awaitServing(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited:\n" + log());
      }
      try {
        if (http.get("/accounts/probe").status() == 404) {
          return;
        }
      } catch (AssertionError notYet) {
        // connection refused until HTTP is bound
      }
      Thread.sleep(250);
    }
    throw new AssertionError("node did not serve within " + timeout + ":\n" + log());
  }
}
