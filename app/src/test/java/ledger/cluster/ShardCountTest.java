package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/** How a node agrees on the shard count with the cluster's record (a record in memory here). */
public class ShardCountTest {
  /** A record in memory; fails its first {@code failures} calls, as an unreachable Cassandra would. */
  private static final class Record implements ShardCount.Store {
    Integer count;
    boolean coordinatorsWrote;
    int failures;
    final AtomicInteger calls = new AtomicInteger();
    /** Run when the record is read and found empty: another node may record in between. */
    Runnable afterEmptyRead = () -> { };

    private <T> CompletionStage<T> answer(java.util.function.Supplier<T> value) {
      calls.incrementAndGet();
      if (failures > 0) {
        failures--;
        return CompletableFuture.failedFuture(new IllegalStateException("Cassandra is down"));
      }
      return CompletableFuture.completedFuture(value.get());
    }

    @Override
    public CompletionStage<Optional<Integer>> recorded() {
      return answer(() -> {
        Optional<Integer> now = Optional.ofNullable(count);
        if (now.isEmpty()) {
          afterEmptyRead.run();
        }
        return now;
      });
    }

    @Override
    public CompletionStage<Integer> recordIfAbsent(int n) {
      return answer(() -> {
        if (count == null) {
          count = n;
        }
        return count;
      });
    }

    @Override
    public CompletionStage<Boolean> coordinatorsWrote() {
      return answer(() -> coordinatorsWrote);
    }
  }

  private static ShardCount.Settings settings(Integer configured) {
    return new ShardCount.Settings(Optional.ofNullable(configured), 100, 1000, Duration.ofSeconds(5), Duration.ofMillis(1));
  }

  private static int agree(Integer configured, Record record) {
    return ShardCount.agree(settings(configured), record, System::nanoTime);
  }

  @Test
  public void aNewClusterRecordsTheDefaultOrTheConfiguredCount() {
    Record fresh = new Record();
    assertEquals(100, agree(null, fresh));
    assertEquals(Integer.valueOf(100), fresh.count);

    Record configured = new Record();
    assertEquals(64, agree(64, configured));
    assertEquals(Integer.valueOf(64), configured.count);
  }

  @Test
  public void aRecordedCountIsTakenAndAnotherConfiguredOneRefused() {
    Record record = new Record();
    record.count = 30;
    record.coordinatorsWrote = true;
    assertEquals(30, agree(null, record));
    assertEquals(30, agree(30, record));
    ShardCount.Disagreement refused = assertThrows(ShardCount.Disagreement.class, () -> agree(100, record));
    assertTrue(refused.getMessage(), refused.getMessage().contains("runs with 30 shards"));
    assertEquals("the record is never changed", Integer.valueOf(30), record.count);
  }

  @Test
  public void aClusterOlderThanTheRecordKeepsTheCountItsNodesRanWith() {
    // Its nodes ran with akka.cluster.sharding.number-of-shards (1000 here), not new-cluster (100).
    Record old = new Record();
    old.coordinatorsWrote = true;
    assertEquals(1000, agree(null, old));
    assertEquals(Integer.valueOf(1000), old.count);
    assertThrows("from then on it is checked", ShardCount.Disagreement.class, () -> agree(100, old));

    Record named = new Record();
    named.coordinatorsWrote = true;
    assertEquals("a count the operator names is recorded instead", 64, agree(64, named));
    assertEquals(Integer.valueOf(64), named.count);
  }

  @Test
  public void aNodeOfANewClusterThatSeesAnotherStartingTakesItsRecord() {
    // Found empty, then another node records 100 and its coordinator writes: this node must
    // take the record, not refuse as if the cluster were older than the record.
    Record record = new Record();
    record.afterEmptyRead = () -> {
      record.afterEmptyRead = () -> { };
      record.count = 100;
      record.coordinatorsWrote = true;
    };
    assertEquals(100, agree(null, record));
  }

  @Test
  public void cassandraErrorsAreRetriedUntilTheTimeout() {
    Record flaky = new Record();
    flaky.failures = 3;
    assertEquals(100, agree(null, flaky));

    Record down = new Record();
    down.failures = Integer.MAX_VALUE;
    AtomicLong now = new AtomicLong();
    ShardCount.Settings s = settings(null);
    IllegalStateException gaveUp = assertThrows(IllegalStateException.class,
        () -> ShardCount.agree(s, down, () -> now.addAndGet(Duration.ofSeconds(1).toNanos())));
    assertTrue(gaveUp.getMessage(), gaveUp.getMessage().contains("could not read or record"));
    assertTrue("a bounded number of tries: " + down.calls.get(), down.calls.get() <= 6);
  }

  @Test
  public void aDisagreementIsNotRetried() {
    Record record = new Record();
    record.count = 30;
    assertThrows(ShardCount.Disagreement.class, () -> agree(100, record));
    assertEquals(1, record.calls.get());
  }

  @Test
  public void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> settings(0));
    assertThrows(IllegalArgumentException.class, () -> settings(ShardCount.Settings.MAX + 1));
    com.typesafe.config.Config bad = com.typesafe.config.ConfigFactory.parseString("ledger.shards.number = many")
        .withFallback(com.typesafe.config.ConfigFactory.load());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardCount.Settings.fromConfig(bad));
    assertTrue(e.getMessage(), e.getMessage().contains("auto or a whole number"));
    ShardCount.Settings defaults = ShardCount.Settings.fromConfig(com.typesafe.config.ConfigFactory.load());
    assertEquals(Optional.empty(), defaults.configured());
    assertEquals(1000, defaults.newCluster());
    assertEquals(1000, defaults.earlier());
  }
}
