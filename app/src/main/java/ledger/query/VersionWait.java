package ledger.query;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code min_version}: waits, bounded by {@code min-version-wait}, until the query side has
 * every row of an account up to a version, polling its listing row with a growing interval.
 * A reader still waiting after {@code min-version-catch-up-after} has the missing versions
 * written from the journal ({@link AccountRows}, the projection's own writer) instead of waiting
 * for the projection: read-your-writes does not depend on how far behind the projection runs,
 * nor on an event the tag stream has not delivered yet. Catch-ups are bounded per node and in
 * versions; one per account at a time.
 */
public final class VersionWait {
  private static final Logger log = LoggerFactory.getLogger(VersionWait.class);

  private final QueryStore store;
  private final AccountRows rows;
  private final QuerySettings q;
  private final Map<String, CompletableFuture<Long>> catchingUp = new ConcurrentHashMap<>();

  public VersionWait(QueryStore store, AccountRows rows) {
    this.store = store;
    this.rows = rows;
    this.q = store.settings();
  }

  /** The account's projected version once it is at least {@code min} (0 if it has none); else DataNotReady. */
  public CompletionStage<Long> await(String accountId, long min) {
    return poll(accountId, min, System.nanoTime(), q.minVersionPoll().toMillis(), false);
  }

  private CompletionStage<Long> poll(String id, long min, long start, long intervalMillis, boolean caughtUp) {
    return store.projectedVersion(id).thenCompose(v -> {
      if (v >= min) {
        return CompletableFuture.completedFuture(v);
      }
      long waited = System.nanoTime() - start;
      if (waited >= q.minVersionWait().toNanos()) {
        throw new DataNotReady(v, min);
      }
      if (!caughtUp && waited >= q.minVersionCatchUpAfter().toNanos()
          && min - v <= q.minVersionCatchUpVersionsMax()) {
        return catchUp(id, v + 1, min).thenCompose(n -> poll(id, min, start, intervalMillis, true));
      }
      long next = Math.min(intervalMillis * 2, q.minVersionPollMax().toMillis());
      return CompletableFuture.supplyAsync(() -> id,
              CompletableFuture.delayedExecutor(intervalMillis, TimeUnit.MILLISECONDS))
          .thenCompose(x -> poll(id, min, start, next, caughtUp));
    });
  }

  /** Writes what the journal has of versions from..to; joins a catch-up of the account already running. */
  private CompletionStage<Long> catchUp(String id, long from, long to) {
    CompletableFuture<Long> mine = new CompletableFuture<>();
    CompletableFuture<Long> running = catchingUp.putIfAbsent(id, mine);
    if (running != null) {
      return running;
    }
    if (catchingUp.size() > q.minVersionCatchUpsMax()) {
      catchingUp.remove(id, mine);
      return CompletableFuture.completedFuture(0L); // busy: this reader waits for the projection
    }
    rows.fromJournal(id, from, to, false).whenComplete((written, failure) -> {
      catchingUp.remove(id, mine);
      if (failure != null) {
        log.warn("Account {}: catching up versions {}..{} from the journal failed: {}", id, from, to,
            failure.toString());
      }
      mine.complete(failure == null ? written : 0L);
    });
    return mine;
  }
}
