package ledger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import ledger.auth.DevAuth;
import java.util.concurrent.TimeUnit;
import ledger.cassandra.EmbeddedCassandra;
import ledger.testing.DevProcess;
import ledger.testing.TestCassandra;
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
    DevProcess first = DevProcess.start(dataDir, httpPort, "it_devmode", dataDir.resolve("first.log"), Map.of());
    try {
      first.awaitServing(Duration.ofSeconds(90));
      assertEquals(201, first.http().post("/accounts", "{\"id\":\"dev-1\",\"currency\":\"USD\"}").status());
      locked = first.http().post("/accounts/dev-1/lock").json();
      assertEquals(2, locked.get("version").asLong());
    } finally {
      first.process().destroy(); // SIGTERM: coordinated shutdown
      assertTrue("stops within 60 s of SIGTERM", first.process().waitFor(60, TimeUnit.SECONDS));
    }
    String log = first.log();
    assertTrue(log, log.contains("Ledger is up."));
    // The development key: created in the data folder (0600), printed with a curl example.
    Path keyFile = dataDir.resolve(DevAuth.KEY_FILE);
    String key = Files.readString(keyFile).strip();
    assertTrue(log, log.contains("Authorization: Bearer " + key));
    assertTrue(log, log.contains("curl -H \"Authorization: Bearer " + key + "\" http://127.0.0.1:" + httpPort + "/accounts"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dataDir.resolve(DevAuth.HASH_KEY_FILE))));
    assertTrue(log, log.contains("(reused)"));
    var cassandra = TestCassandra.get().address();
    assertTrue("a reused Cassandra is left running",
        EmbeddedCassandra.answers(cassandra.getHostString(), cassandra.getPort()));

    DevProcess second = DevProcess.start(dataDir, httpPort, "it_devmode", dataDir.resolve("second.log"), Map.of());
    try {
      second.awaitServing(Duration.ofSeconds(90));
      assertEquals(locked, second.http().get("/accounts/dev-1").json());
      assertEquals("the same key again", key, Files.readString(keyFile).strip());
      assertEquals(401, second.http().withAuthorization(null).get("/accounts/dev-1").status());
    } finally {
      second.process().destroy();
      assertTrue(second.process().waitFor(60, TimeUnit.SECONDS));
    }
  }
}
