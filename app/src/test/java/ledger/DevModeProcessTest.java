package ledger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import ledger.cassandra.EmbeddedCassandra;
import ledger.testing.DevProcess;
import ledger.testing.TestCassandra;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * `./ledger dev`'s entry point as a real separate JVM: it reuses a Cassandra that already
 * answers (and leaves it running), serves accounts, stops cleanly on SIGTERM, and a second
 * start finds everything acknowledged before, at the same versions.
 */
public class DevModeProcessTest {

  @Test
  public void devNodeSurvivesSigtermAndRestartWithItsData() throws Exception {
    Path root = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data")));
    Path dataDir = Files.createTempDirectory(root, "dev-");
    int httpPort = TestNodes.freePort();
    JsonNode locked;
    Process first = startDev(dataDir, httpPort, dataDir.resolve("first.log"));
    try {
      TestHttp http = new TestHttp("http://127.0.0.1:" + httpPort);
      awaitServing(http, first, dataDir.resolve("first.log"));
      assertEquals(201, http.post("/accounts", "{\"id\":\"dev-1\",\"currency\":\"USD\"}").status());
      locked = http.post("/accounts/dev-1/lock").json();
      assertEquals(2, locked.get("version").asLong());
    } finally {
      first.destroy(); // SIGTERM: coordinated shutdown
      assertTrue("stops within 60 s of SIGTERM", first.waitFor(60, TimeUnit.SECONDS));
    }
    String log = Files.readString(dataDir.resolve("first.log"));
    assertTrue(log, log.contains("Ledger is up."));
    assertTrue(log, log.contains("(reused)"));
    var cassandra = TestCassandra.get().address();
    assertTrue("a reused Cassandra is left running",
        EmbeddedCassandra.answers(cassandra.getHostString(), cassandra.getPort()));

    Process second = startDev(dataDir, httpPort, dataDir.resolve("second.log"));
    try {
      TestHttp http = new TestHttp("http://127.0.0.1:" + httpPort);
      awaitServing(http, second, dataDir.resolve("second.log"));
      assertEquals(locked, http.get("/accounts/dev-1").json());
    } finally {
      second.destroy();
      assertTrue(second.waitFor(60, TimeUnit.SECONDS));
    }
  }

  private static Process startDev(Path dataDir, int httpPort, Path log) throws IOException {
    return DevProcess.start(dataDir, httpPort, "it_devmode", log, Map.of()).process();
  }

  private static void awaitServing(TestHttp http, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("dev node exited:\n" + Files.readString(log));
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
    throw new AssertionError("dev node did not serve within 90 s:\n" + Files.readString(log));
  }
}
