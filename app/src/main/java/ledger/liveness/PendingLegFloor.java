package ledger.liveness;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import ledger.query.QueryRows.PendingLegRow;

/**
 * How far back a read of every live {@code pending_legs} row must go (used by the held-leg
 * sweeper's full reads and the recon engine's pending-leg check). Released legs leave
 * tombstones, so a read must not go through the whole lookback every time; but a projection
 * may write a row late (it restarts after a crash and writes the legs it had not reached), with
 * a due time older than any "since the last read" window.
 *
 * <p>The floor: a read that began at {@code start}, when every account projection had saved its
 * offset up to {@code projectedTo}, sets the next read's floor to
 * {@code min(projectedTo, start) - margin}. A row written after the read began comes from an
 * event the projection had not yet reached, and a leg is due after its event, so that row is due
 * above the floor (the margin covers clocks and the events-by-tag offset's slack). Below the
 * floor the only live rows are those the read found there: the next read reads them again by key
 * (carried rows) and reads by range only from the floor up. A read that was not clean (a range
 * skipped, a failed read of the carried rows), a projection without an offset, or more than
 * {@code carriedMax} carried rows make the next read complete (the whole lookback), and so does
 * {@code completeInterval} since the last complete one, as a backstop.
 *
 * <p>Not thread-safe: one read at a time, by one owner.
 */
public final class PendingLegFloor {
  private final Duration margin;
  private final Duration completeInterval;
  private final Duration lookback;
  private final int carriedMax;
  /** Below the floor only the carried rows can be live (null: read the whole lookback). */
  private Instant floor;
  private final LinkedHashSet<PendingLegRow> carried = new LinkedHashSet<>();
  private Instant lastComplete;

  public PendingLegFloor(Duration margin, Duration completeInterval, Duration lookback, int carriedMax) {
    if (margin.isNegative() || carriedMax < 0) {
      throw new IllegalArgumentException("the floor's margin and carried-max must not be negative");
    }
    this.margin = margin;
    this.completeInterval = completeInterval;
    this.lookback = lookback;
    this.carriedMax = carriedMax;
  }

  /**
   * A read beginning at {@code start}; {@code projectedTo} is where every account projection
   * has saved its offset (empty: one has none), read before any row; null if reading it failed.
   */
  public Read begin(Instant start, Optional<Instant> projectedTo) {
    Instant nextFloor = projectedTo == null ? null
        : projectedTo.map(t -> (t.isBefore(start) ? t : start).minus(margin)).orElse(null);
    boolean complete = floor == null || lastComplete == null || !start.isBefore(lastComplete.plus(completeInterval));
    return new Read(start, complete, complete ? start.minus(lookback) : floor, nextFloor,
        complete ? List.of() : List.copyOf(carried));
  }

  /**
   * Ends a read: {@code carriedLive} are the read's {@link Read#carried()} rows found still
   * stored. Returns false if the rows below the next floor were more than carried-max (the next
   * read is then complete).
   */
  public boolean done(Read r, List<PendingLegRow> carriedLive) {
    if (r.complete && r.clean) {
      lastComplete = r.start;
    }
    Instant oldest = r.start.minus(lookback);
    LinkedHashSet<PendingLegRow> next = new LinkedHashSet<>();
    carriedLive.stream().filter(row -> !row.dueAt().isBefore(oldest)).forEach(next::add);
    next.addAll(r.foundBelow);
    carried.clear();
    boolean fits = next.size() <= carriedMax;
    if (!r.clean || r.nextFloor == null || !fits) {
      floor = null;
    } else {
      floor = r.nextFloor;
      carried.addAll(next);
    }
    return fits;
  }

  /** One read: the rows due from {@link #from()} to its start by range, and {@link #carried()} by key. */
  public static final class Read {
    private final Instant start;
    private final boolean complete;
    private final Instant from;
    private final Instant nextFloor;
    private final List<PendingLegRow> carried;
    private final List<PendingLegRow> foundBelow = new ArrayList<>();
    private boolean clean = true;

    private Read(Instant start, boolean complete, Instant from, Instant nextFloor, List<PendingLegRow> carried) {
      this.start = start;
      this.complete = complete;
      this.from = from;
      this.nextFloor = nextFloor;
      this.carried = carried;
    }

    public Instant start() {
      return start;
    }

    /** Whether it reads the whole lookback. */
    public boolean complete() {
      return complete;
    }

    /** Read by range from here (the floor, or the start of the lookback) up. */
    public Instant from() {
      return from;
    }

    /** Rows below {@link #from()} that may be live: read them again by key. */
    public List<PendingLegRow> carried() {
      return carried;
    }

    /** Rows the read found by range (any part of it, in any order). */
    public void found(List<PendingLegRow> rows) {
      if (nextFloor != null) {
        rows.stream().filter(row -> row.dueAt().isBefore(nextFloor)).forEach(foundBelow::add);
      }
    }

    /** A part of the read was skipped, or its carried rows could not be read: the next read is complete. */
    public void notClean() {
      clean = false;
    }

    public boolean clean() {
      return clean;
    }
  }
}
