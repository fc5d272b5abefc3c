package ledger.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A series of {@code ./ledger recovery} runs of one mode, summed up: the median and the worst
 * run of "every account served again" (each run's max over the accounts) and of each run's p50,
 * the share of accounts affected over all runs, and the median of each stage of the timeline.
 */
public final class RecoverySeries {
  /**
   * One run: every account served again after {@code maxMillis}, half of them after
   * {@code p50Millis}; {@code affected} of {@code accounts} had a first read after the kill that
   * failed or was slow, {@code slowOnly} of those only slow.
   */
  public record Run(long maxMillis, long p50Millis, int affected, int slowOnly, int accounts,
                    FailoverTimeline.Timeline timeline) {}

  private final String mode;
  private final List<Run> runs = new ArrayList<>();

  public RecoverySeries(String mode) {
    this.mode = mode;
  }

  public void add(Run run) {
    runs.add(run);
  }

  public List<Run> runs() {
    return List.copyOf(runs);
  }

  /** The median: the middle value, or the mean of the two middle ones (rounded down); -1 for none. */
  public static long median(long[] values) {
    if (values.length == 0) {
      return -1;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : Math.floorDiv(sorted[mid - 1] + sorted[mid], 2);
  }

  /** The largest value; -1 for none. */
  public static long worst(long[] values) {
    return Arrays.stream(values).max().orElse(-1);
  }

  /** Affected accounts over all accounts of every run, as a fraction (0 for no accounts). */
  public double shareAffected() {
    long affected = runs.stream().mapToLong(Run::affected).sum();
    long accounts = runs.stream().mapToLong(Run::accounts).sum();
    return accounts == 0 ? 0 : (double) affected / accounts;
  }

  /** Accounts whose first read was only slow, as a fraction of all accounts of every run. */
  public double shareSlowOnly() {
    long slow = runs.stream().mapToLong(Run::slowOnly).sum();
    long accounts = runs.stream().mapToLong(Run::accounts).sum();
    return accounts == 0 ? 0 : (double) slow / accounts;
  }

  public long medianMax() {
    return median(runs.stream().mapToLong(Run::maxMillis).toArray());
  }

  public long worstMax() {
    return worst(runs.stream().mapToLong(Run::maxMillis).toArray());
  }

  public long medianP50() {
    return median(runs.stream().mapToLong(Run::p50Millis).toArray());
  }

  public long worstP50() {
    return worst(runs.stream().mapToLong(Run::p50Millis).toArray());
  }

  /** The median of a stage over the runs that saw it, and in how many it was seen. */
  public long[] medianStage(FailoverTimeline.Stage stage) {
    long[] seen = runs.stream().filter(r -> r.timeline() != null).mapToLong(r -> r.timeline().at(stage))
        .filter(ms -> ms >= 0).toArray();
    return new long[] {median(seen), seen.length};
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "kill %s, %d runs: every account served again (max per run): median %d ms, worst %d ms; p50 per run:"
            + " median %d ms, worst %d ms; accounts affected (first read after the kill failed or slow): %.1f %%"
            + " (failed %.1f %%, only slow %.1f %%)",
        mode, runs.size(), medianMax(), worstMax(), medianP50(), worstP50(), 100 * shareAffected(),
        100 * (shareAffected() - shareSlowOnly()), 100 * shareSlowOnly()));
    if (runs.stream().anyMatch(r -> r.timeline() != null)) {
      s.append(String.format("%n  median timeline:"));
      String sep = " ";
      for (FailoverTimeline.Stage stage : FailoverTimeline.Stage.values()) {
        long[] m = medianStage(stage);
        s.append(sep).append(stage.label).append(' ').append(m[1] == 0 ? "-" : "+" + m[0] + " ms");
        if (m[1] > 0 && m[1] < runs.size()) {
          s.append(" (").append(m[1]).append(" of ").append(runs.size()).append(" runs)");
        }
        sep = ", ";
      }
      s.append(sep).append("last account +").append(medianMax()).append(" ms");
    }
    return s.toString();
  }
}
