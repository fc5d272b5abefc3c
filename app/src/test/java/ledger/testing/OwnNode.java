package ledger.testing;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.function.Supplier;
import ledger.LedgerNode;
import ledger.cassandra.CassandraSchema;
import org.junit.rules.ExternalResource;

/**
 * A ledger node on the test Cassandra that one test class has to itself ({@code @ClassRule}),
 * because the class restarts it; the schema of its keyspace is applied first. Unlike
 * {@link RunningNode}, never shared.
 */
public final class OwnNode extends ExternalResource {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Supplier<Config> config;
  private volatile LedgerNode node;
  private volatile TestHttp http;

  public OwnNode(Supplier<Config> config) {
    this.config = config;
  }

  @Override
  protected void before() {
    Config c = config.get();
    CassandraSchema.apply(c);
    node = LedgerNode.start(c, TIMEOUT);
    http = new TestHttp("http://127.0.0.1:" + c.getInt("ledger.http.port"));
  }

  @Override
  protected void after() {
    stop();
  }

  /** The node's HTTP API; the same across restarts (the port is fixed by the configuration). */
  public TestHttp http() {
    return http;
  }

  /** The node now running: a new one after each {@link #restart}. */
  public LedgerNode node() {
    return node;
  }

  /** Stops the node, runs {@code whileStopped}, and starts the node again. */
  public void restart(Runnable whileStopped) {
    stop();
    whileStopped.run();
    node = LedgerNode.start(config.get(), TIMEOUT);
  }

  private void stop() {
    if (node != null) {
      node.stop(TIMEOUT);
      node = null;
    }
  }
}
