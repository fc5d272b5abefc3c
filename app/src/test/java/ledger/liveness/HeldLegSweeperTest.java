package ledger.liveness;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import ledger.query.QueryRows.PendingLegRow;
import ledger.testing.MutableClock;
import org.junit.After;
import org.junit.Test;

/**
 * The held-leg sweeper restarts accounts holding legs from the pending_legs rows (S6 without
 * remembered accounts): the first full read covers the whole lookback without a gap, a pass
 * finds a row the projection wrote late, a member change reads again (from the floor, with the
 * rows below it read by key, once the projections' progress is known), wakes are rate-bound,
 * and a failed read is read again.
 */
public class HeldLegSweeperTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

  private final ActorTestKit kit = ActorTestKit.create();
  private final MutableClock clock = new MutableClock(NOW);
  private final FakeRows rows = new FakeRows();
  private final List<String> woken = new CopyOnWriteArrayList<>();

  @After
  public void stop() {
    kit.shutdownTestKit();
  }

  /** Rows in memory; records every range read; fails the next reads while {@code failures} > 0. */
  private static final class FakeRows implements HeldLegSweeper.Rows {
    final List<PendingLegRow> stored = new CopyOnWriteArrayList<>();
    final List<Instant[]> reads = new CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();
    /** Reads of the range ending here always fail (e.g. a partition of too many tombstones). */
    volatile Instant brokenTo;
    /** Where the projections are; empty: a tag has no offset yet. */
    volatile Optional<Instant> projectedTo = Optional.empty();
    /** Every read of rows by key. */
    final List<List<PendingLegRow>> byKey = new CopyOnWriteArrayList<>();

    void add(Instant due, String account) {
      stored.add(new PendingLegRow(due, account, "t-" + account + "-" + due.getEpochSecond(), "USD", 1, 0));
    }

    @Override
    public CompletionStage<List<PendingLegRow>> due(Instant from, Instant to) {
      reads.add(new Instant[] {from, to});
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0 || to.equals(brokenTo)) {
        return CompletableFuture.failedFuture(new IllegalStateException("Cassandra unavailable"));
      }
      List<PendingLegRow> found = new ArrayList<>();
      stored.stream().filter(r -> !r.dueAt().isBefore(from) && r.dueAt().isBefore(to)).forEach(found::add);
      return CompletableFuture.completedFuture(found);
    }

    @Override
    public CompletionStage<List<PendingLegRow>> stillStored(List<PendingLegRow> rows) {
      byKey.add(rows);
      return CompletableFuture.completedFuture(rows.stream().filter(stored::contains).toList());
    }

    @Override
    public CompletionStage<Optional<Instant>> projectedTo() {
      return CompletableFuture.completedFuture(projectedTo);
    }

    void remove(String account) {
      stored.removeIf(r -> r.accountId().equals(account));
    }
  }

  private HeldLegSweeper.Settings settings(Duration interval, int wakeRate) {
    return new HeldLegSweeper.Settings(interval, Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofMinutes(2),
        Duration.ofHours(6), Duration.ofDays(31), Duration.ofHours(6), wakeRate, 1000, 100);
  }

  private ActorRef<HeldLegSweeper.Command> start(HeldLegSweeper.Settings settings) {
    return kit.spawn(HeldLegSweeper.create(rows, woken::add, settings, clock, false));
  }

  private void awaitWoken(int count) throws InterruptedException {
    await(() -> woken.size() >= count, () -> "woken " + woken + ", expected " + count);
  }

  /** Polls {@code done} for up to 10 s, failing with {@code what}. */
  private static void await(BooleanSupplier done, Supplier<String> what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      assertTrue(what.get(), System.nanoTime() < deadline);
      Thread.sleep(20);
    }
  }

  private List<Instant[]> fullReads() {
    return rows.reads.stream().filter(r -> Duration.between(r[0], r[1]).compareTo(Duration.ofHours(1)) > 0).toList();
  }

  @Test
  public void theFirstFullReadCoversTheWholeLookbackAndWakesEachAccountOnce() throws Exception {
    rows.add(NOW.minus(Duration.ofDays(30)), "old-hold");   // a two-phase hold near the lookback's start
    rows.add(NOW.minus(Duration.ofDays(3)), "a");
    rows.add(NOW.minus(Duration.ofDays(3)).plusSeconds(1), "a"); // a second leg of the same account
    rows.add(NOW.minusSeconds(5), "b");
    rows.add(NOW.minus(Duration.ofDays(32)), "beyond-lookback");
    start(settings(Duration.ofHours(1), 500));
    awaitWoken(3);
    Thread.sleep(300);
    assertEquals("newest first", List.of("b", "a", "old-hold"), woken);
    List<Instant[]> full = fullReads();
    assertEquals("31 days in chunks of 6 hours", 124, full.size());
    assertEquals(NOW, full.get(0)[1]);
    for (int i = 1; i < full.size(); i++) {
      assertEquals("chunk " + i + " ends where the last began", full.get(i - 1)[0], full.get(i)[1]);
    }
    assertEquals(NOW.minus(Duration.ofDays(31)), full.get(full.size() - 1)[0]);
  }

  @Test
  public void aPassFindsARowTheProjectionWroteLate() throws Exception {
    start(settings(Duration.ofMillis(100), 500));
    awaitFullReads(124); // the start's full read is over, and found nothing
    Instant t = NOW.plus(Duration.ofMinutes(5)); // past the start's after-change
    clock.set(t);
    Thread.sleep(300);
    clock.set(t.plusSeconds(4));
    Thread.sleep(300); // passes up to t + 4 s have read nothing
    rows.add(t.plusSeconds(1), "late"); // due before the last pass's end: written late
    clock.set(t.plusSeconds(6));
    awaitWoken(1);
    assertEquals(List.of("late"), woken);
  }

  @Test
  public void aRowLaterThanTheLagAllowanceIsFoundByTheReadAfterAMemberChange() throws Exception {
    ActorRef<HeldLegSweeper.Command> sweeper = start(settings(Duration.ofMillis(100), 500));
    awaitFullReads(124);
    clock.set(NOW.plus(Duration.ofMinutes(5))); // past the start's after-change
    Thread.sleep(300);
    clock.set(NOW.plus(Duration.ofMinutes(5)).plusSeconds(60));
    Thread.sleep(300);
    rows.add(NOW.plus(Duration.ofMinutes(5)).plusSeconds(1), "missed-by-passes"); // 59 s late: beyond 10 s
    Thread.sleep(300);
    assertEquals(List.of(), woken);
    sweeper.tell(HeldLegSweeper.membersChanged());
    awaitWoken(1);
    assertEquals(List.of("missed-by-passes"), woken);
  }

  @Test
  public void afterAChangePassesFindRowsWrittenLateAfterTheFullRead() throws Exception {
    ActorRef<HeldLegSweeper.Command> sweeper = start(settings(Duration.ofMillis(100), 500));
    awaitFullReads(124);
    clock.set(NOW.plus(Duration.ofMinutes(10)));
    sweeper.tell(HeldLegSweeper.membersChanged());
    awaitFullReads(248);
    // Held at a crash 90 s before the change, written by the restarted projection after the read.
    rows.add(NOW.plus(Duration.ofMinutes(10)).minusSeconds(90), "held-at-crash");
    clock.set(NOW.plus(Duration.ofMinutes(11)));
    awaitWoken(1);
    assertEquals(List.of("held-at-crash"), woken.stream().distinct().toList()); // woken by every pinned pass
    // Past after-change, passes read only the newly due again: another such row waits for a full read.
    clock.set(NOW.plus(Duration.ofMinutes(13)));
    Thread.sleep(300);
    rows.add(NOW.plus(Duration.ofMinutes(12)), "later");
    clock.set(NOW.plus(Duration.ofMinutes(13)).plusSeconds(1));
    Thread.sleep(500);
    assertEquals(List.of("held-at-crash"), woken.stream().distinct().toList());
  }

  @Test
  public void laterFullReadsReadFromTheFloorAndTheRowsBelowItByKey() throws Exception {
    rows.projectedTo = Optional.of(NOW.minusSeconds(30));
    rows.add(NOW.minus(Duration.ofDays(3)), "stuck");            // overdue and still held
    rows.add(NOW.minus(Duration.ofDays(1)), "released-later");
    rows.add(NOW.minusSeconds(60), "recent");                     // above the floor: read again by range
    ActorRef<HeldLegSweeper.Command> sweeper = start(settings(Duration.ofHours(1), 500));
    awaitFullReads(124);
    awaitWoken(3);
    rows.remove("released-later");
    rows.remove("recent");
    int readsBefore = rows.reads.size();
    woken.clear();
    Instant change = NOW.plus(Duration.ofMinutes(10));
    rows.projectedTo = Optional.of(change.minusSeconds(20));
    // Written after the first read began, due above its floor, more than lag-allowance late.
    rows.add(NOW.plusSeconds(30), "late-row");
    clock.set(change);
    sweeper.tell(HeldLegSweeper.membersChanged());
    await(() -> rows.byKey.size() >= 1, () -> "reads by key " + rows.byKey);
    awaitWoken(2);
    Instant floor = NOW.minusSeconds(30).minus(Duration.ofMinutes(2));
    List<Instant[]> since = rows.reads.subList(readsBefore, rows.reads.size());
    assertEquals("one chunk, from the floor", 1, since.size());
    assertEquals(floor, since.get(0)[0]);
    assertEquals(change, since.get(0)[1]);
    assertEquals("the rows found below the floor, by key (newest first)", List.of("released-later", "stuck"),
        rows.byKey.get(0).stream().map(PendingLegRow::accountId).toList());
    assertEquals(List.of("late-row", "stuck"), woken.stream().distinct().sorted().toList());
    // Past complete-interval the whole lookback is read again.
    Instant later = NOW.plus(Duration.ofHours(7));
    clock.set(later);
    sweeper.tell(HeldLegSweeper.membersChanged());
    await(() -> rows.reads.stream().anyMatch(r -> r[0].equals(later.minus(Duration.ofDays(31)))),
        () -> "no complete read after complete-interval");
  }

  @Test
  public void aFullReadThatSkippedAChunkMakesTheNextOneComplete() throws Exception {
    rows.projectedTo = Optional.of(NOW.minusSeconds(30));
    rows.add(NOW.minus(Duration.ofDays(2)), "older");
    rows.brokenTo = NOW;
    ActorRef<HeldLegSweeper.Command> sweeper = start(settings(Duration.ofHours(1), 500));
    awaitFullReads(124);
    rows.brokenTo = null;
    Instant change = NOW.plus(Duration.ofMinutes(10));
    clock.set(change);
    sweeper.tell(HeldLegSweeper.membersChanged());
    await(() -> rows.reads.stream().anyMatch(r -> r[0].equals(change.minus(Duration.ofDays(31)))),
        () -> "the read after a skipped chunk did not cover the lookback");
  }

  private void awaitFullReads(int count) throws InterruptedException {
    await(() -> fullReads().size() >= count, () -> "full reads " + fullReads().size() + " of " + rows.reads.size());
  }

  @Test
  public void wakesAreBoundedByTheRate() throws Exception {
    for (int i = 0; i < 60; i++) {
      rows.add(NOW.minusSeconds(100 + i), "acc-" + i);
    }
    start(settings(Duration.ofHours(1), 20)); // 2 per 100 ms tick
    awaitWoken(2);
    Thread.sleep(1000);
    int afterASecond = woken.size();
    assertTrue("at most ~20 per second, woke " + afterASecond, afterASecond <= 26);
    awaitWoken(60);
    List<String> sorted = new ArrayList<>(woken);
    Collections.sort(sorted);
    assertEquals(60, sorted.stream().distinct().count());
  }

  @Test
  public void aChunkThatKeepsFailingIsSkippedAndTheOlderOnesAreStillRead() throws Exception {
    rows.add(NOW.minusSeconds(60), "in-the-broken-chunk");
    rows.add(NOW.minus(Duration.ofDays(2)), "older");
    rows.brokenTo = NOW;
    start(settings(Duration.ofHours(1), 500));
    awaitWoken(1);
    assertEquals(List.of("older"), woken);
    assertEquals("tried " + HeldLegSweeper.CHUNK_ATTEMPTS + " times", HeldLegSweeper.CHUNK_ATTEMPTS,
        rows.reads.stream().filter(r -> r[1].equals(NOW)).count());
    awaitFullReads(124);
  }

  @Test
  public void aFailedChunkIsReadAgain() throws Exception {
    rows.add(NOW.minus(Duration.ofDays(31)).plusSeconds(60), "last-chunk");
    rows.failures.set(3);
    start(settings(Duration.ofHours(1), 500));
    awaitWoken(1);
    assertEquals(List.of("last-chunk"), woken);
    Instant lastChunk = NOW.minus(Duration.ofDays(31));
    assertEquals("the first chunk read until it succeeded", 4,
        rows.reads.stream().filter(r -> r[1].equals(NOW) && r[0].equals(NOW.minus(Duration.ofHours(6)))).count());
    assertEquals("the last chunk read once", 1, rows.reads.stream().filter(r -> r[0].equals(lastChunk)).count());
  }
}
