package ledger.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How many shards each sharded entity type (accounts, transfers) has: fixed for the life of a
 * cluster. An entity's shard is its id's hash modulo this count, so two nodes that disagree on
 * it would each run their own copy of one account, two writers of one journal, and neither
 * fencing nor hand-off would stop it (both nodes are live members). So the count is recorded
 * once per cluster in Cassandra (cluster_settings) and every node agrees with the record before
 * it starts any shard; a node configured with another count refuses to start.
 *
 * <p>{@code auto} takes the recorded count. A new cluster (no shard coordinator has ever written)
 * records {@code new-cluster}. A cluster whose coordinators wrote before counts were recorded
 * (created by an earlier version, whose nodes ran with akka.cluster.sharding.number-of-shards)
 * records that setting; a configured count is recorded instead, as the operator's word.
 */
public final class ShardCount {
  /** The longest one read or write of the record may take before it counts as failed (and is retried). */
  static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);
  /** An agreement slower than this is logged as a warning: the node's start waited for it. */
  static final Duration SLOW = Duration.ofSeconds(5);

  /** The cluster's record: the count, and whether shards of this cluster ever ran before it. */
  public interface Store {
    CompletionStage<Optional<Integer>> recorded();

    /** Records the count unless one is recorded; answers the count recorded now. */
    CompletionStage<Integer> recordIfAbsent(int count);

    /** Whether a shard coordinator of this cluster has ever written (its journal is not empty). */
    CompletionStage<Boolean> coordinatorsWrote();
  }

  /** The configuration: {@code configured} is "auto" or a count. */
  public record Settings(Optional<Integer> configured, int newCluster, int earlier, Duration agreeTimeout,
                         Duration retryInterval) {
    public static final int MAX = 100_000;

    public Settings {
      configured.ifPresent(n -> check("ledger.shards.number", n));
      check("ledger.shards.new-cluster", newCluster);
      check("akka.cluster.sharding.number-of-shards", earlier);
    }

    public static Settings fromConfig(com.typesafe.config.Config config) {
      String number = config.getString("ledger.shards.number").trim();
      Optional<Integer> configured;
      if (number.equals("auto")) {
        configured = Optional.empty();
      } else {
        try {
          configured = Optional.of(Integer.parseInt(number));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("ledger.shards.number (LEDGER_SHARDS) must be auto or a whole number, not "
              + number);
        }
      }
      return new Settings(configured, config.getInt("ledger.shards.new-cluster"),
          config.getInt("akka.cluster.sharding.number-of-shards"), config.getDuration("ledger.shards.agree-timeout"), config.getDuration("ledger.shards.retry-interval"));
    }

    private static void check(String name, int n) {
      if (n < 1 || n > MAX) {
        throw new IllegalArgumentException(name + " must be between 1 and " + MAX + ", not " + n);
      }
    }
  }

  /** The count cannot be agreed on: the node must not start. */
  public static final class Disagreement extends RuntimeException {
    Disagreement(String message) {
      super(message);
    }
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ShardCount.class);
  /** The journal plugin whose cluster keeps the record; other journals (in-memory tests) live with one JVM. */
  static final String CASSANDRA_JOURNAL = "akka.persistence.cassandra.journal";

  private ShardCount() {}

  /**
   * The count for this node: agreed with the cluster's record when the journal is Cassandra
   * (blocks for up to agree-timeout); otherwise, with nothing shared to disagree with, the
   * configured count or new-cluster.
   */
  public static int forNode(akka.actor.typed.ActorSystem<?> system, com.typesafe.config.Config config) {
    Settings settings = Settings.fromConfig(config);
    if (!config.getString("akka.persistence.journal.plugin").equals(CASSANDRA_JOURNAL)) {
      return settings.configured().orElse(settings.newCluster());
    }
    Store store = new CassandraShardCountStore(
        () -> akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry.get(system)
            .sessionFor("akka.persistence.cassandra").underlying(),
        config.getString("ledger.cassandra.keyspace"),
        config.getString("akka.persistence.cassandra.journal.keyspace"));
    long began = System.nanoTime();
    int count = agree(settings, store, System::nanoTime);
    long tookMs = (System.nanoTime() - began) / 1_000_000;
    if (tookMs > SLOW.toMillis()) {
      // The node's start waits for it: say so where WARN-level logs (tests) show it.
      log.warn("{} shards per entity type (cluster_settings), agreed after {} ms", count, tookMs);
    } else {
      log.info("{} shards per entity type (cluster_settings), agreed after {} ms", count, tookMs);
    }
    return count;
  }

  /**
   * The count this node runs with, once it agrees with the cluster's record (recording it if the
   * cluster is new). Cassandra errors are retried every retry-interval until agree-timeout; a
   * disagreement fails at once.
   */
  public static int agree(Settings settings, Store store, LongSupplier nanoTime) {
    long deadline = nanoTime.getAsLong() + settings.agreeTimeout().toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        return agreeOnce(settings, store, STEP_TIMEOUT);
      } catch (Disagreement d) {
        throw d;
      } catch (RuntimeException e) {
        last = e;
        log.warn("reading or recording the shard count failed, trying again: {}", e.toString());
      }
      if (nanoTime.getAsLong() - deadline >= 0) {
        throw new IllegalStateException("could not read or record the cluster's shard count in "
            + settings.agreeTimeout().toSeconds() + " s (cluster_settings): " + last.getMessage(), last);
      }
      try {
        Thread.sleep(settings.retryInterval().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while agreeing on the shard count", e);
      }
    }
  }

  private static int agreeOnce(Settings settings, Store store, Duration timeout) {
    Optional<Integer> recorded = get(store.recorded(), timeout);
    if (recorded.isEmpty() && get(store.coordinatorsWrote(), timeout)) {
      // Either a node of this version recorded it meanwhile (it records before any shard runs),
      // or the cluster predates the record: its nodes ran with Akka's setting, which auto records.
      recorded = get(store.recorded(), timeout);
      if (recorded.isEmpty()) {
        recorded = Optional.of(get(store.recordIfAbsent(settings.configured().orElse(settings.earlier())), timeout));
      }
    }
    if (recorded.isEmpty()) {
      recorded = Optional.of(get(store.recordIfAbsent(settings.configured().orElse(settings.newCluster())), timeout));
    }
    int count = recorded.get();
    if (settings.configured().isPresent() && settings.configured().get() != count) {
      throw new Disagreement("this cluster runs with " + count + " shards per entity type (cluster_settings), but "
          + "LEDGER_SHARDS (ledger.shards.number) says " + settings.configured().get() + ": the count cannot change "
          + "while the cluster's data lives (each entity's shard is its id's hash modulo the count); unset it or set "
          + count);
    }
    return count;
  }

  private static <T> T get(CompletionStage<T> stage, Duration timeout) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause.toString(), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Cassandra did not answer within " + timeout.toSeconds() + " s", e);
    }
  }
}
