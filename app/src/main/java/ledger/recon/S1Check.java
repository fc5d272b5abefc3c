package ledger.recon;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import ledger.query.QueryRows.Totals;
import ledger.recon.ReconReport.CurrencyTotals;
import ledger.recon.ReconReport.Divergence;
import ledger.recon.ReconReport.Kind;

/**
 * S1 per currency, from the listing rows' counters summed per currency ({@code QueryStore.totals}).
 * Those rows are each at their own projection's point: while transfers are in flight the sums are
 * unbalanced for a moment (a leg's debit side projected, its credit side not yet), and under
 * steady load nearly every read shows some such imbalance, each time a different one. So an
 * imbalance is reported only once it has <em>stayed the same</em>:
 *
 * <ol>
 *   <li><b>Quiet</b>: two reads at least {@code settle-time} apart show the same imbalance and the
 *       very same four sums and account count. Every leg event changes a sum (a prepare or a void
 *       a pending sum, a post a posted sum, which only grow), so nothing of that currency was
 *       projected in between; {@code settle-time} exceeds the projection lag, so a leg in flight
 *       at the first read would have been projected by the second and moved a sum. What is left
 *       is the books' own imbalance, or a transfer stuck mid-way (no event for settle-time: still
 *       worth reporting). The one exception is a posting-free interval whose prepares and
 *       releases cancel exactly in both pending sums.</li>
 *   <li><b>Under load</b>: {@code s1-confirmations} consecutive reads, each at least
 *       {@code settle-time} after the one before, show exactly the same non-zero imbalance (the
 *       sums may move). Reads that far apart see disjoint sets of legs in flight, so without a
 *       real imbalance this needs independent in-flight sets to sum to the same non-zero pair
 *       (posted, pending) every time. A one-leg pair is one of ~600 (the bench's amounts 1 to 100,
 *       either side, three stages), so no pair has a chance above ~1e-3 per read, and three in a
 *       row (the default) stay below ~1e-6 per run.</li>
 * </ol>
 * A real imbalance D (a corrupted row, a leg lost on the write side) shows as D plus the in-flight
 * imbalance of the read; it is reported:
 * <ul>
 *   <li>when the currency is quiet: at the second read (the run that finds it, with
 *       {@code s1-attempts} at least 2);</li>
 *   <li>under continuous load: at the {@code s1-confirmations}-th consecutive read without a leg
 *       of that currency in flight on the query side. If a fraction q of reads see none (the bench
 *       at 370 transfers/s: about a third), that is after about 1/q^n reads (n = s1-confirmations;
 *       ~27 reads, about ten runs, for q = 1/3 and n = 3); reads of a run
 *       stop at {@code s1-attempts}, and the streak goes on into the next run. When no read is
 *       ever free of legs in flight, S1 alone does not report it; the sampled checks of each
 *       account (row vs entity vs journal) still do, for a corruption on an account.</li>
 * </ul>
 * Once reported, a currency is reported by every run until a read finds it balanced. The state
 * (one streak per unbalanced currency) lives as long as the engine.
 */
final class S1Check {
  private final ReconSettings settings;
  private final Clock clock;
  private final LongConsumer sleepMillis;
  private final Map<String, Streak> streaks = new HashMap<>();

  /** The reads of one unbalanced currency that showed the same imbalance, newest last. */
  private static final class Streak {
    BigInteger posted;
    BigInteger pending;
    Totals last;
    Instant lastAt;
    int reads = 1;
    String confirmed;

    Streak(Totals t, Instant at) {
      posted = postedImbalance(t);
      pending = pendingImbalance(t);
      last = t;
      lastAt = at;
    }

    boolean same(Totals t) {
      return posted.equals(postedImbalance(t)) && pending.equals(pendingImbalance(t));
    }
  }

  record Outcome(List<CurrencyTotals> currencies, List<Divergence> divergences) {}

  S1Check(ReconSettings settings, Clock clock, LongConsumer sleepMillis) {
    if (settings.s1Confirmations() < 2) {
      throw new IllegalArgumentException("ledger.recon.s1-confirmations must be at least 2");
    }
    this.settings = settings;
    this.clock = clock;
    this.sleepMillis = sleepMillis;
  }

  /**
   * Reads the totals (up to {@code s1-attempts} times, {@code settle-time} apart, while a
   * currency is unbalanced and not yet confirmed) and reports the confirmed imbalances.
   */
  Outcome check(Supplier<List<Totals>> read) {
    List<Totals> totals = observe(read.get());
    for (int attempt = 1; attempt < settings.s1Attempts() && undecided(totals); attempt++) {
      sleepMillis.accept(settings.settleTime().toMillis());
      totals = observe(read.get());
    }
    List<CurrencyTotals> currencies = new ArrayList<>();
    List<Divergence> divergences = new ArrayList<>();
    for (Totals t : totals) {
      Streak s = t.balanced() ? null : streaks.get(t.currency());
      boolean reported = s != null && s.confirmed != null;
      currencies.add(new CurrencyTotals(t.currency(), t.debitsPosted(), t.creditsPosted(), t.debitsPending(),
          t.creditsPending(), t.accounts(), !reported));
      if (reported) {
        divergences.add(new Divergence(Kind.S1_UNBALANCED.wire(), t.currency(), null, null, "debits_posted "
            + t.debitsPosted() + " credits_posted " + t.creditsPosted() + " debits_pending " + t.debitsPending()
            + " credits_pending " + t.creditsPending() + "; " + s.confirmed));
      }
    }
    return new Outcome(currencies, divergences);
  }

  private boolean undecided(List<Totals> totals) {
    return totals.stream().anyMatch(t -> !t.balanced() && streaks.get(t.currency()).confirmed == null);
  }

  private List<Totals> observe(List<Totals> totals) {
    Instant now = clock.instant();
    Duration settle = settings.settleTime();
    for (Totals t : totals) {
      Streak s = streaks.get(t.currency());
      if (t.balanced()) {
        streaks.remove(t.currency());
      } else if (s == null) {
        streaks.put(t.currency(), new Streak(t, now));
      } else if (!s.same(t)) {
        if (s.confirmed == null) {
          streaks.put(t.currency(), new Streak(t, now)); // moved: in flight, or not yet settled
        } else {
          // Reported already: it stays reported, with the new figures, until a read is balanced.
          Streak moved = new Streak(t, now);
          moved.confirmed = s.confirmed;
          streaks.put(t.currency(), moved);
        }
      } else if (Duration.between(s.lastAt, now).compareTo(settle) >= 0) {
        // The same imbalance, settle-time or more after the previous read of the streak (a read
        // sooner than that may see the same legs in flight, and does not count).
        boolean quiet = sameFigures(s.last, t);
        s.reads++;
        s.last = t;
        s.lastAt = now;
        if (s.confirmed == null && quiet) {
          s.confirmed = "unchanged, with the same totals, in reads " + settle.toSeconds() + " s apart";
        } else if (s.confirmed == null && s.reads >= settings.s1Confirmations()) {
          s.confirmed = "the same imbalance in " + s.reads + " consecutive reads " + settle.toSeconds() + " s apart";
        }
      }
    }
    return totals;
  }

  private static boolean sameFigures(Totals a, Totals b) {
    return a.debitsPosted().equals(b.debitsPosted()) && a.creditsPosted().equals(b.creditsPosted())
        && a.debitsPending().equals(b.debitsPending()) && a.creditsPending().equals(b.creditsPending())
        && a.accounts() == b.accounts();
  }

  private static BigInteger postedImbalance(Totals t) {
    return t.debitsPosted().subtract(t.creditsPosted());
  }

  private static BigInteger pendingImbalance(Totals t) {
    return t.debitsPending().subtract(t.creditsPending());
  }
}
