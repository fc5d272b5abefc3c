package ledger.query;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one query may spend: Cassandra reads and rows up to a bound, and time up to a deadline
 * (its HTTP request's timeout), and nothing once cancelled (the request ended). Every read of a
 * query loop goes through {@link #charge}; a loop that may walk far asks {@link #spent} before
 * its next read and answers what it has, with a cursor, instead of reading on.
 */
public final class QueryBudget {
  private final long deadlineNanos;
  private final int readsMax;
  private final long rowsMax;
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicLong rows = new AtomicLong();
  private volatile boolean cancelled;

  public QueryBudget(Duration timeout, int readsMax, long rowsMax) {
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    this.readsMax = readsMax;
    this.rowsMax = rowsMax;
  }

  /** A request's budget: its timeout and the per-request bounds of the settings. */
  public static QueryBudget forRequest(QuerySettings q) {
    return new QueryBudget(q.requestTimeout(), q.readsPerRequestMax(), q.rowsPerRequestMax());
  }

  /** Time only: for callers off the request path (recon), whose loops are bounded by their data. */
  public static QueryBudget within(Duration timeout) {
    return new QueryBudget(timeout, Integer.MAX_VALUE, Long.MAX_VALUE);
  }

  /** Counts one read about to be sent; throws {@link QueryCancelled} if the query has ended. */
  void charge() {
    checkLive();
    reads.incrementAndGet();
  }

  void rowsRead(int n) {
    rows.addAndGet(n);
  }

  /** Throws {@link QueryCancelled} past the deadline or once cancelled. */
  public void checkLive() {
    if (cancelled) {
      throw new QueryCancelled("the request ended");
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new QueryCancelled("the request timed out");
    }
  }

  /** True once the reads or rows bound is reached: a loop answers what it has. */
  boolean spent() {
    return reads.get() >= readsMax || rows.get() >= rowsMax;
  }

  long remainingNanos() {
    return deadlineNanos - System.nanoTime();
  }

  /** The request ended (timed out, or its client left): every later read fails at once. */
  public void cancel() {
    cancelled = true;
  }

  public int reads() {
    return reads.get();
  }

  public long rows() {
    return rows.get();
  }

  /** A query stopped because its request ended; nothing was changed. */
  public static final class QueryCancelled extends RuntimeException {
    QueryCancelled(String message) {
      super(message, null, false, false);
    }
  }
}
