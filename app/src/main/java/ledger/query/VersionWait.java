package ledger.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code min_version}: waits, bounded by {@code min-version-wait} and by its request, until the
 * query side has every row of an account up to a version. A reader reads the account's listing
 * row once; if it must wait, it joins the account's one poller on this node, which reads that row
 * with a growing interval for all its readers at once: readers of one account cost one poll per
 * interval, not one each. A reader still waiting after {@code min-version-catch-up-after} has
 * the missing versions written from the journal ({@link AccountRows}, the projection's own
 * writer) instead of waiting for the projection: read-your-writes does not depend on how far
 * behind the projection runs, nor on an event the tag stream has not delivered yet. Catch-ups
 * are bounded per node and in versions; one per account at a time. A reader whose request ended
 * leaves at the next poll.
 */
public final class VersionWait {
  private static final Logger log = LoggerFactory.getLogger(VersionWait.class);

  private final QueryStore store;
  private final AccountRows rows;
  private final QuerySettings q;
  private final Map<String, CompletableFuture<Long>> catchingUp = new ConcurrentHashMap<>();
  private final Map<String, Poller> pollers = new ConcurrentHashMap<>();

  public VersionWait(QueryStore store, AccountRows rows) {
    this.store = store;
    this.rows = rows;
    this.q = store.settings();
  }

  private record Reader(long min, long startNanos, QueryBudget budget, CompletableFuture<Long> result) {}

  /** One account's readers; changed only inside {@code pollers.compute} for the account. */
  private static final class Poller {
    final List<Reader> readers = new ArrayList<>();
    long intervalMillis;
    long caughtUpTo;

    Poller(long intervalMillis) {
      this.intervalMillis = intervalMillis;
    }
  }

  /** The account's projected version once it is at least {@code min} (0 if it has none); else DataNotReady. */
  public CompletionStage<Long> await(String accountId, long min, QueryBudget budget) {
    long start = System.nanoTime();
    return store.projectedVersion(accountId).thenCompose(v -> {
      if (v >= min) {
        return CompletableFuture.completedFuture(v);
      }
      Reader reader = new Reader(min, start, budget, new CompletableFuture<>());
      boolean[] first = {false};
      pollers.compute(accountId, (id, poller) -> {
        Poller p = poller == null ? new Poller(q.minVersionPoll().toMillis()) : poller;
        first[0] = poller == null;
        p.readers.add(reader);
        return p;
      });
      if (first[0]) {
        schedule(accountId, q.minVersionPoll().toMillis());
      }
      return reader.result();
    });
  }

  private void schedule(String id, long delayMillis) {
    CompletableFuture.runAsync(() -> poll(id), CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS));
  }

  /** One read for every reader of the account; then the next poll, a catch-up, or none (no reader left). */
  private void poll(String id) {
    store.projectedVersion(id).whenComplete((version, failure) -> {
      List<Runnable> answers = new ArrayList<>();
      long[] next = {-1};
      long[] catchUpTo = {-1};
      long v = version == null ? 0 : version;
      pollers.computeIfPresent(id, (key, p) -> {
        p.readers.removeIf(r -> settled(r, v, failure, answers));
        if (p.readers.isEmpty()) {
          return null;
        }
        long now = System.nanoTime();
        long wanted = p.readers.stream().filter(r -> now - r.startNanos() >= q.minVersionCatchUpAfter().toNanos())
            .mapToLong(Reader::min).max().orElse(0);
        if (wanted > p.caughtUpTo && wanted - v <= q.minVersionCatchUpVersionsMax()) {
          p.caughtUpTo = wanted;
          catchUpTo[0] = wanted;
        } else {
          next[0] = p.intervalMillis;
          p.intervalMillis = Math.min(p.intervalMillis * 2, q.minVersionPollMax().toMillis());
        }
        return p;
      });
      answers.forEach(Runnable::run);
      if (catchUpTo[0] >= 0) {
        catchUp(id, v + 1, catchUpTo[0]).whenComplete((n, e) -> poll(id));
      } else if (next[0] >= 0) {
        schedule(id, next[0]);
      }
    });
  }

  /** Whether this poll answers the reader (its answer is added to {@code answers}). */
  private boolean settled(Reader r, long v, Throwable failure, List<Runnable> answers) {
    CompletableFuture<Long> result = r.result();
    if (failure != null) {
      answers.add(() -> result.completeExceptionally(failure));
    } else if (v >= r.min()) {
      answers.add(() -> result.complete(v));
    } else if (cancelled(r.budget())) {
      answers.add(() -> result.completeExceptionally(new QueryBudget.QueryCancelled("the request ended")));
    } else if (System.nanoTime() - r.startNanos() >= q.minVersionWait().toNanos()
        || r.budget().remainingNanos() <= q.minVersionPollMax().toNanos()) {
      answers.add(() -> result.completeExceptionally(new DataNotReady(v, r.min())));
    } else {
      return false;
    }
    return true;
  }

  private static boolean cancelled(QueryBudget budget) {
    try {
      budget.checkLive();
      return false;
    } catch (QueryBudget.QueryCancelled ended) {
      return true;
    }
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
