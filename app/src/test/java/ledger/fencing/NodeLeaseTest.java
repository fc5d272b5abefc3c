package ledger.fencing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/**
 * The lease's rules on a table in memory and a clock the test moves: when the holder may
 * write, when a taker may revoke, and that the two never overlap.
 */
public class NodeLeaseTest {
  private static final NodeLease.Settings SETTINGS = new NodeLease.Settings(true, Duration.ofSeconds(4),
      Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(15));
  private static final long MS = 1_000_000;

  /** Rows of node_leases; answers at once, or holds every call back while {@code down}. */
  static final class MemoryTable implements NodeLease.Table {
    final Map<String, Long> rows = new HashMap<>();
    boolean down;
    final AtomicInteger writes = new AtomicInteger();

    @Override
    public synchronized CompletionStage<NodeLease.Cas> insert(String node) {
      if (down) {
        return CompletableFuture.failedFuture(new IllegalStateException("Cassandra away"));
      }
      writes.incrementAndGet();
      Long before = rows.putIfAbsent(node, 0L);
      return CompletableFuture.completedFuture(new NodeLease.Cas(before == null, before == null ? 0L : before));
    }

    @Override
    public synchronized CompletionStage<NodeLease.Cas> advance(String node, long from, long to) {
      if (down) {
        return CompletableFuture.failedFuture(new IllegalStateException("Cassandra away"));
      }
      writes.incrementAndGet();
      Long current = rows.get(node);
      if (current != null && current == from) {
        rows.put(node, to);
        return CompletableFuture.completedFuture(new NodeLease.Cas(true, to));
      }
      return CompletableFuture.completedFuture(new NodeLease.Cas(false, current));
    }

    @Override
    public synchronized CompletionStage<Map<String, Long>> readAll() {
      if (down) {
        return CompletableFuture.failedFuture(new IllegalStateException("Cassandra away"));
      }
      return CompletableFuture.completedFuture(new HashMap<>(rows));
    }
  }

  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final MemoryTable table = new MemoryTable();
  private final Set<String> members = new HashSet<>();

  private NodeLease node(String id, Runnable onRevoked) {
    members.add(id);
    return new NodeLease(id, SETTINGS, table, now::get, () -> Set.copyOf(members), onRevoked);
  }

  /** Moves the clock in 100 ms steps; the given nodes tick at every whole 500 ms, as on the scheduler. */
  private void advance(long millis, NodeLease... ticking) {
    for (long t = 0; t < millis; t += 100) {
      if (now.addAndGet(100 * MS) % (500 * MS) == 0) {
        for (NodeLease n : ticking) {
          n.tick();
        }
      }
    }
  }

  @Test
  public void aHolderWritesOnlyUntilDurationLessWriteWindowAfterItsLastRenewal() {
    NodeLease a = node("a#1", () -> { });
    assertFalse("no write before the lease is taken", a.allowsWrite());
    a.take();
    assertTrue(a.allowsWrite());
    advance(5_000, a);
    assertTrue("renewals keep it", a.allowsWrite());
    table.down = true;
    long lastRenewal = now.get();
    advance(1_900, a);
    assertTrue(a.allowsWrite());
    advance(200, a);
    assertFalse("2 s after the last renewal sent, no more writes", a.allowsWrite());
    assertTrue(now.get() - lastRenewal <= 2_500 * MS);
    table.down = false;
    advance(600, a);
    assertTrue("a member's lapsed lease comes back with the next renewal", a.allowsWrite());
  }

  @Test
  public void aTakerRevokesOnlyALeaseThatStoodStillForDurationAndNeverWhileItsHolderMayWrite() {
    AtomicInteger leaves = new AtomicInteger();
    NodeLease old = node("old#1", leaves::incrementAndGet);
    NodeLease taker = node("taker#1", () -> { });
    old.take();
    taker.take();
    advance(2_000, old, taker);
    // old is downed and removed in the taker's view, but keeps renewing: never revoked.
    members.remove("old#1");
    CompletableFuture<Boolean> fence = taker.awaitFenced().toCompletableFuture();
    advance(10_000, old, taker);
    assertFalse("a lease still renewed is never revoked", fence.isDone());
    assertTrue("still unrevoked", table.rows.get("old#1") > 0);
    // Now old stalls: the taker may revoke only once old can no longer write.
    old.pauseRenewals(true);
    for (int i = 0; i < 100 && !fence.isDone(); i++) {
      advance(100, taker);
      if (fence.isDone()) {
        assertFalse("revoked while the old incarnation could still write", old.allowsWrite());
      }
    }
    assertTrue(fence.isDone() && fence.join());
    assertEquals(Long.valueOf(NodeLease.REVOKED), table.rows.get("old#1"));
    // old wakes: its next renewal finds the lease revoked.
    old.pauseRenewals(false);
    advance(600, old);
    assertFalse(old.allowsWrite());
    assertEquals(1, leaves.get());
    advance(3_000, old);
    assertFalse("a revoked incarnation never writes again", old.allowsWrite());
  }

  @Test
  public void aRenewalDuringTheWaitRestartsIt() {
    NodeLease old = node("old#1", () -> { });
    NodeLease taker = node("taker#1", () -> { });
    old.take();
    taker.take();
    advance(1_000, old, taker);
    members.remove("old#1");
    old.pauseRenewals(true);
    CompletableFuture<Boolean> fence = taker.awaitFenced().toCompletableFuture();
    advance(3_000, taker);
    old.pauseRenewals(false);
    advance(500, old, taker);
    old.pauseRenewals(true);
    long lastRenewal = now.get();
    advance(3_000, taker);
    assertFalse("the wait counts from the latest renewal seen", fence.isDone());
    advance(3_000, taker);
    assertTrue(fence.isDone() && fence.join());
    assertTrue(now.get() - lastRenewal >= SETTINGS.duration().toNanos());
  }

  @Test
  public void aFenceAnswersOnlyAfterAReadBegunAfterTheAskAndGivesUpAfterTheTimeout() {
    NodeLease taker = node("taker#1", () -> { });
    taker.take();
    advance(1_000, taker);
    // A row the taker has not read yet: a node it never saw as a member.
    table.rows.put("ghost#1", 7L);
    CompletableFuture<Boolean> fence = taker.awaitFenced().toCompletableFuture();
    assertFalse("answered from a read older than the ask", fence.isDone());
    advance(3_500, taker);
    assertFalse(fence.isDone());
    advance(1_000, taker);
    assertTrue(fence.isDone() && fence.join());
    assertEquals(Long.valueOf(NodeLease.REVOKED), table.rows.get("ghost#1"));

    table.down = true;
    CompletableFuture<Boolean> stuck = taker.awaitFenced().toCompletableFuture();
    advance(14_000, taker);
    assertFalse("answered " + stuck.getNow(null), stuck.isDone());
    advance(1_500, taker);
    assertTrue(stuck.isDone());
    assertFalse("gives up after acquire-timeout", stuck.join());
  }

  @Test
  public void anInsertThatAppliedUnseenIsAdoptedButGrantsNoWriteBeforeARenewal() {
    table.rows.put("a#1", 0L); // our insert timed out here but applied there
    NodeLease a = node("a#1", () -> { });
    a.take();
    assertFalse("its send time is unknown: no write on it", a.allowsWrite());
    advance(500, a);
    assertTrue("the next renewal applies and grants writes", a.allowsWrite());
    assertEquals(Long.valueOf(1), table.rows.get("a#1"));
  }

  @Test
  public void aDownedNodeStopsWritingAtOnceAndItsShardsAreTold() {
    NodeLease a = node("a#1", () -> { });
    a.take();
    AtomicInteger lost = new AtomicInteger();
    a.addLostListener(reason -> lost.incrementAndGet());
    assertTrue(a.allowsWrite());
    a.downed();
    assertFalse(a.allowsWrite());
    assertEquals(1, lost.get());
    int writes = table.writes.get();
    advance(3_000, a);
    assertEquals("a downed node renews nothing", writes, table.writes.get());
  }

  @Test
  public void aReleasedLeaseNeedsNoWait() {
    NodeLease a = node("a#1", () -> { });
    NodeLease b = node("b#1", () -> { });
    a.take();
    b.take();
    advance(1_000, a, b);
    assertTrue(a.release().toCompletableFuture().join());
    assertFalse(a.allowsWrite());
    members.remove("a#1");
    CompletableFuture<Boolean> fence = b.awaitFenced().toCompletableFuture();
    advance(500, b);
    assertTrue(fence.isDone() && fence.join());
  }
}
