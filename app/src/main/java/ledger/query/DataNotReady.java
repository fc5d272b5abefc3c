package ledger.query;

/** The query side has not reached the version a reader asked for (503 data_not_ready). */
public final class DataNotReady extends RuntimeException {
  private final long available;

  public DataNotReady(long available, long wanted) {
    super("the query side has version " + available + " of this account, not yet " + wanted + "; retry",
        null, false, false);
    this.available = available;
  }

  public long available() {
    return available;
  }
}
