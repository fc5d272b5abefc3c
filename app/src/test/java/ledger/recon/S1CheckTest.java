package ledger.recon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import ledger.query.QueryRows.Totals;
import ledger.recon.ReconReport.Divergence;
import ledger.testing.MutableClock;
import org.junit.Test;

/**
 * S1 from query rows read while transfers are in flight: an imbalance that changes from read to
 * read (legs in flight, each read a different set) is never reported, however many runs see one;
 * an imbalance that stays the same is, at once when nothing moves and after s1-confirmations
 * reads when the sums move under load. Each read here is what {@code QueryStore.totals} would
 * give at that moment; sleeping between reads moves the clock.
 */
public class S1CheckTest {
  private static final Duration SETTLE = Duration.ofSeconds(10);
  private static final ReconSettings SETTINGS = new ReconSettings(true, Duration.ofSeconds(60), 50, 20, 1000,
      SETTLE, 3, 3, Duration.ofDays(31), 100_000, Duration.ofSeconds(5), 4, Duration.ofMinutes(10), 100,
      Duration.ofMinutes(2), Duration.ofHours(6));

  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
  private final S1Check s1 = new S1Check(SETTINGS, clock, ms -> clock.set(clock.instant().plusMillis(ms)));
  private final Deque<List<Totals>> reads = new ArrayDeque<>();
  private int readsTaken;

  private static Totals usd(long debitsPosted, long creditsPosted, long debitsPending, long creditsPending) {
    return new Totals("USD", BigInteger.valueOf(debitsPosted), BigInteger.valueOf(creditsPosted),
        BigInteger.valueOf(debitsPending), BigInteger.valueOf(creditsPending), 100);
  }

  /** The reads the next run gets, in order (the run stops early once it has decided). */
  private void next(Totals... totals) {
    for (Totals t : totals) {
      reads.add(List.of(t));
    }
  }

  private S1Check.Outcome run() {
    S1Check.Outcome out = s1.check(() -> {
      readsTaken++;
      return reads.removeFirst();
    });
    reads.clear();
    clock.set(clock.instant().plus(SETTINGS.interval())); // the next run, an interval later
    return out;
  }

  @Test
  public void anInFlightImbalanceThatChangesBetweenReadsIsNotReported() {
    // Steady load: every read finds some leg half-projected, each time another one (a debit
    // projected before its credit, a post on one side only), with the sums moving on.
    next(usd(1_000, 990, 40, 40), usd(1_500, 1_500, 75, 60), usd(2_100, 2_107, 30, 30));
    S1Check.Outcome first = run();
    assertEquals("three reads (s1-attempts), each unbalanced", 3, readsTaken);
    assertEquals(List.of(), first.divergences());
    assertTrue("not reported, so not shown unbalanced", first.currencies().get(0).balanced());
    // More runs, each read unbalanced another way: still in flight, never reported. (A value
    // may come back, as long as it is not in s1-confirmations consecutive reads.)
    next(usd(2_600, 2_590, 0, 0), usd(3_000, 3_000, 10, 0), usd(3_300, 3_290, 0, 0));
    assertEquals(List.of(), run().divergences());
    next(usd(3_900, 3_850, 0, 0), usd(4_000, 4_000, 0, 7), usd(4_400, 4_410, 3, 3));
    assertEquals(List.of(), run().divergences());
  }

  @Test
  public void aBalancedReadEndsAStreak() {
    next(usd(1_000, 990, 0, 0), usd(1_200, 1_190, 0, 0), usd(1_300, 1_300, 0, 0));
    assertEquals(List.of(), run().divergences());
    // Same imbalance as before the balanced read: a new streak, one read long.
    next(usd(1_400, 1_390, 0, 0), usd(1_500, 1_500, 0, 0));
    assertEquals(List.of(), run().divergences());
  }

  @Test
  public void anImbalanceWithNothingMovingIsReportedAtTheSecondRead() {
    // A corrupted listing row (credits_posted 999,999 instead of 1,000) on a quiet ledger.
    next(usd(7_000, 1_005_999, 50, 50), usd(7_000, 1_005_999, 50, 50), usd(7_000, 1_005_999, 50, 50));
    S1Check.Outcome out = run();
    assertEquals("confirmed at the second read, no third", 2, readsTaken);
    assertEquals(1, out.divergences().size());
    Divergence d = out.divergences().get(0);
    assertEquals("s1_unbalanced", d.kind());
    assertEquals("USD", d.currency());
    assertTrue(d.detail(), d.detail().startsWith("debits_posted 7000 credits_posted 1005999 debits_pending 50 "
        + "credits_pending 50; unchanged"));
    assertFalse(out.currencies().get(0).balanced());
    // It stays reported while it is there, even while load moves it ...
    next(usd(7_100, 1_006_090, 50, 50));
    assertEquals(1, run().divergences().size());
    assertEquals(1, readsTaken - 2);
    // ... and is no longer once a read finds the books balanced (the row was rewritten).
    next(usd(7_100, 7_100, 50, 50));
    S1Check.Outcome fixed = run();
    assertEquals(List.of(), fixed.divergences());
    assertTrue(fixed.currencies().get(0).balanced());
  }

  @Test
  public void aPersistentImbalanceUnderLoadIsReportedAfterConsecutiveReadsShowIt() {
    // A lost credit of 5 under continuous load: the sums always move, and most reads also see
    // legs in flight; three consecutive reads without any (across runs) confirm it.
    next(usd(1_000, 995, 0, 0), usd(1_400, 1_390, 20, 20), usd(1_800, 1_795, 0, 0));
    assertEquals(List.of(), run().divergences());
    next(usd(2_100, 2_095, 0, 0), usd(2_600, 2_595, 0, 3), usd(2_700, 2_690, 0, 0));
    assertEquals("the streak of two broken by legs in flight", List.of(), run().divergences());
    next(usd(3_000, 2_995, 0, 0), usd(3_300, 3_295, 10, 10), usd(3_900, 3_895, 0, 0));
    S1Check.Outcome out = run();
    assertEquals(1, out.divergences().size());
    assertTrue(out.divergences().get(0).detail(),
        out.divergences().get(0).detail().endsWith("the same imbalance in 3 consecutive reads 10 s apart"));
  }

  @Test
  public void aReadSoonerThanSettleTimeAfterTheLastDoesNotCount() {
    // Runs asked for back to back may see the same legs in flight: not a confirmation.
    next(usd(1_000, 990, 0, 0), usd(1_100, 1_090, 0, 0), usd(1_300, 1_320, 0, 0));
    run();
    clock.set(clock.instant().minus(SETTINGS.interval()));
    next(usd(1_300, 1_320, 0, 0), usd(1_500, 1_490, 0, 0), usd(1_600, 1_620, 0, 0));
    assertEquals(List.of(), run().divergences());
  }
}
