package ledger.testing;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import ledger.LedgerNode;
import ledger.cassandra.CassandraSchema;
import org.junit.rules.ExternalResource;

/**
 * A running ledger node for a test class ({@code @ClassRule}), shared by every class of the test
 * JVM that asks for the same kind: starting a node costs seconds (on Cassandra, with its schema,
 * about twenty), so the route tests start one of each kind and keep it while classes use it. It
 * stops when no class has used it for {@link #IDLE}, and at the latest when the JVM exits. Tests
 * on a shared node stay independent by using ids of their own ({@link TestIds}).
 */
public final class RunningNode extends ExternalResource {
  /**
   * Surefire runs the classes in one JVM in directory order, so other classes may run between
   * two of a group (a minute or so here); a node does not idle through the rest of the suite.
   */
  private static final Duration IDLE = Duration.ofMinutes(2);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Map<String, Shared> RUNNING = new HashMap<>();
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "running-node-idle-stop");
    t.setDaemon(true);
    return t;
  });

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RunningNode::stopAll, "stop-running-nodes"));
  }

  private final String kind;
  private final Supplier<Config> config;
  private Shared shared;

  private RunningNode(String kind, Supplier<Config> config) {
    this.kind = kind;
    this.config = config;
  }

  /** A node journaling in memory: no Cassandra, no projections, no recon ({@link TestNodes#inMemoryNode()}). */
  public static RunningNode inMemory() {
    return new RunningNode("in-memory", TestNodes::inMemoryNode);
  }

  /**
   * A node on the test Cassandra in keyspace it_api, with projections; API keys are cached for
   * 500 ms and never served stale (the authentication tests revoke keys); recon runs only when asked.
   */
  public static RunningNode onCassandra() {
    return new RunningNode("cassandra", () -> {
      Config c = TestNodes.onCassandra("it_api", Map.of("ledger.recon.interval", "1h",
          "ledger.auth.cache-ttl", "500ms", "ledger.auth.stale-if-error", "0s"));
      CassandraSchema.apply(c);
      return c;
    });
  }

  @Override
  protected void before() {
    shared = acquire(kind, config);
  }

  @Override
  protected void after() {
    release(shared);
  }

  public LedgerNode node() {
    return shared.node;
  }

  /** The node's resolved config (its keyspace, its keys' hash key...). */
  public Config config() {
    return shared.config;
  }

  /** A client of the node with the test key ({@link TestKeys}). */
  public TestHttp http() {
    return new TestHttp("http://127.0.0.1:" + shared.node.httpAddress().getPort());
  }

  private static final class Shared {
    final Config config;
    final LedgerNode node;
    int users;
    ScheduledFuture<?> idleStop;

    Shared(Config config) {
      this.config = config;
      this.node = LedgerNode.start(config, Duration.ofSeconds(60));
    }
  }

  private static synchronized Shared acquire(String kind, Supplier<Config> config) {
    Shared s = RUNNING.get(kind);
    if (s == null) {
      s = new Shared(config.get());
      RUNNING.put(kind, s);
    }
    if (s.idleStop != null) {
      s.idleStop.cancel(false);
      s.idleStop = null;
    }
    s.users++;
    return s;
  }

  private static synchronized void release(Shared s) {
    if (s == null || --s.users > 0) {
      return;
    }
    s.idleStop = TIMER.schedule(() -> stopIfIdle(s), IDLE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static synchronized void stopIfIdle(Shared s) {
    if (s.users == 0 && RUNNING.values().remove(s)) {
      s.node.stop(STOP_TIMEOUT);
    }
  }

  private static synchronized void stopAll() {
    RUNNING.values().forEach(s -> s.node.stop(STOP_TIMEOUT));
    RUNNING.clear();
  }
}
