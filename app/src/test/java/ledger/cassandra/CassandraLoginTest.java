package ledger.cassandra;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import ledger.LedgerNode;
import ledger.testing.TestHttp;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A Cassandra of its own with PasswordAuthenticator (the embedded one, as in k8s/): a node given
 * a role's login (ledger.cassandra.username/password) applies the schema and serves, its
 * journal, query and API key reads all logged in; a wrong password or none is refused, and a
 * username without a password stops the start.
 */
public class CassandraLoginTest {
  private static final String ROLE = "ledger_it";
  private static Path dir;
  private static EmbeddedCassandra cassandra;
  private static String contactPoint;
  private static String password;

  @BeforeClass
  public static void start() throws Exception {
    String lib = System.getProperty("ledger.cassandra.lib-dir", "../cassandra-dist/target/lib");
    dir = Path.of(System.getProperty("ledger.test.data-dir", "target/test-data"))
        .resolve("cassandra-login-" + ProcessHandle.current().pid()).toAbsolutePath();
    cassandra = EmbeddedCassandra.startOrReuse(new EmbeddedCassandra.Settings(Path.of(lib), dir, "127.0.0.1",
        TestNodes.freePort(), TestNodes.freePort(), "512M", "PasswordAuthenticator"), Duration.ofMinutes(3));
    assertTrue("a Cassandra of this test, not one already running", cassandra.startedHere());
    contactPoint = "127.0.0.1:" + cassandra.address().getPort();
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    password = HexFormat.of().formatHex(random);
    try (CqlSession admin = superuser()) {
      admin.execute("CREATE ROLE " + ROLE + " WITH LOGIN = true AND PASSWORD = '" + password + "'");
    }
  }

  @AfterClass
  public static void stop() throws IOException {
    if (cassandra != null) {
      cassandra.close();
    }
    if (dir != null && Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  public void aNodeWithTheRolesLoginServes() {
    Config config = node(ROLE, password);
    CassandraSchema.apply(config);
    LedgerNode node = LedgerNode.start(config, Duration.ofSeconds(60));
    try {
      TestHttp http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
      assertEquals("API key looked up, account journaled", 201,
          http.post("/accounts", "{\"id\":\"login-1\",\"currency\":\"USD\"}").status());
      assertEquals(200, http.get("/accounts/login-1").status());
    } finally {
      node.stop(Duration.ofSeconds(30));
    }
  }

  /**
   * With reconnect-on-init off: as configured (on), the driver retries a refused login as it
   * retries an absent Cassandra, logging "Authentication error" every 2 s, and never returns.
   */
  @Test
  public void aWrongPasswordOrNoLoginIsRefused() {
    assertRefused(node(ROLE, "not-" + password).withValue("datastax-java-driver.advanced.reconnect-on-init",
        ConfigValueFactory.fromAnyRef(false)));
    assertRefused(node("", "").withValue("datastax-java-driver.advanced.reconnect-on-init",
        ConfigValueFactory.fromAnyRef(false)));
  }

  @Test
  public void aUsernameWithoutPasswordStopsTheStart() {
    try {
      LedgerNode.start(node(ROLE, ""), Duration.ofSeconds(10));
      fail("started without a password");
    } catch (IllegalArgumentException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("LEDGER_CASSANDRA_PASSWORD"));
    }
  }

  /** Opening a session fails, for its login. */
  private static void assertRefused(Config config) {
    CompletableFuture<CqlSession> open = CompletableFuture.supplyAsync(() -> CassandraConnection.openSession(config));
    try {
      open.get(30, TimeUnit.SECONDS).close();
      fail("logged in with " + config.getString("ledger.cassandra.username"));
    } catch (ExecutionException e) {
      assertTrue("refused for its login: " + e.getCause(), causedByAuthentication(e.getCause()));
    } catch (TimeoutException e) {
      open.thenAccept(CqlSession::close);
      fail("opening a session with a bad login neither failed nor succeeded within 30 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static boolean causedByAuthentication(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AuthenticationException || String.valueOf(t.getMessage()).contains("Authentication error")
          || String.valueOf(t.getMessage()).contains("requires authentication")) {
        return true;
      }
      for (Throwable s : t.getSuppressed()) {
        if (causedByAuthentication(s)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Cassandra creates its default superuser shortly after CQL opens: retried for a while. */
  private static CqlSession superuser() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return CassandraConnection.openSession(node("cassandra", "cassandra"));
      } catch (RuntimeException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(500);
      }
    }
  }

  private static Config node(String username, String password) {
    Map<String, Object> settings = new HashMap<>(Map.of(
        "ledger.cassandra.contact-points", contactPoint,
        "ledger.cassandra.keyspace", "it_login",
        "ledger.cassandra.replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        "ledger.cassandra.username", username,
        "ledger.cassandra.password", password,
        "ledger.recon.enabled", false,
        "akka.persistence.cassandra.events-by-tag.first-time-bucket",
        DateTimeFormatter.ofPattern("yyyyMMdd'T'00:00").format(LocalDate.now(ZoneOffset.UTC).minusDays(1).atStartOfDay())));
    return TestNodes.singleNode(settings);
  }
}
