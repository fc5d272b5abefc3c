package ledger.query;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import ledger.cassandra.CassandraConnection;
import ledger.cassandra.CassandraSchema;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A statement whose prepare failed once (Cassandra away, or here a table missing) is prepared
 * again at its next use, against the real embedded Cassandra: the failure is not kept.
 */
public class QueryStorePrepareTest {
  private static final String KEYSPACE = "it_query_prepare";
  private static ActorTestKit testKit;
  private static Config config;

  @BeforeClass
  public static void start() {
    config = TestNodes.onCassandra(KEYSPACE, Map.of());
    CassandraSchema.apply(config);
    testKit = ActorTestKit.create("prepare-test", CassandraConnection.driverConfig(config).withFallback(config));
  }

  @AfterClass
  public static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  public void aFailedPrepareIsMadeAgainAtTheNextUse() throws Exception {
    String create = CassandraSchema.statements(config).stream()
        .filter(s -> s.contains("TABLE IF NOT EXISTS " + KEYSPACE + ".account_list ")
            || s.contains("TABLE IF NOT EXISTS " + KEYSPACE + ".account_list("))
        .findFirst().orElseThrow(() -> new AssertionError("no account_list in the schema"));
    try (CqlSession cql = CassandraConnection.openSession(config, Map.of())) {
      CassandraSchema.execute(cql, "DROP TABLE " + KEYSPACE + ".account_list");
      QueryStore store = new QueryStore(testKit.system(), QuerySettings.fromConfig(config));
      try {
        store.account("a").toCompletableFuture().get(30, TimeUnit.SECONDS);
        fail("read a table that does not exist");
      } catch (java.util.concurrent.ExecutionException | CompletionException e) {
        // The table is missing (or, beside other tests' load, the prepare timed out): failed either way.
        System.out.println("first read failed as it should: " + e.getCause());
      }
      CassandraSchema.execute(cql, create);
      // Each use after a failed prepare prepares again; a kept failure would fail every attempt.
      Optional<QueryRows.AccountRow> read = null;
      Exception last = null;
      for (int attempt = 0; attempt < 5 && read == null; attempt++) {
        try {
          read = store.account("a").toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          last = e;
        }
      }
      assertEquals("prepared again, and read (last failure: " + last + ")", Optional.empty(), read);
    }
  }
}
