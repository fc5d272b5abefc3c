package ledger.query;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.query.QueryRows.AccountPage;
import ledger.query.QueryRows.AccountRow;

/**
 * One page of GET /accounts: a merge in id order of the listing's hash buckets, each read a
 * chunk at a time (then twice the last chunk) and only when the merge has used up what was read
 * of it. So a page reads about its own rows plus a chunk per
 * bucket, instead of a whole page from every bucket; a filtered page reads on until it is full,
 * or the budget is spent, and then answers what it has with {@code next} at the last id looked
 * at: every id up to it was merged, so the cursor is exact.
 */
final class ListingMerge {
  private final QueryStore store;
  private final String currency;
  private final String status;
  private final String before;
  private final int limit;
  private final QueryBudget budget;
  private final List<Bucket> buckets = new ArrayList<>();
  private final List<AccountRow> page = new ArrayList<>();
  private String lastSeen;

  /** What has been read of one bucket and not merged yet. */
  private static final class Bucket {
    final int bucket;
    final ArrayDeque<AccountRow> read = new ArrayDeque<>();
    String after;
    int chunk;
    boolean done;

    Bucket(int bucket, String after, int chunk) {
      this.bucket = bucket;
      this.after = after;
      this.chunk = chunk;
    }
  }

  ListingMerge(QueryStore store, String currency, String status, String after, String before, int limit,
               QueryBudget budget) {
    this.store = store;
    this.currency = currency;
    this.status = status;
    this.before = before;
    this.limit = limit;
    this.budget = budget;
    // About a bucket's share of the page; with a filter, whose matches may be rare, a page from
    // each (as before, when that was all a page read), then twice as much at each refill.
    int buckets = store.settings().listingBuckets();
    int chunk = currency == null && status == null ? limit / buckets + 2 : Math.max(limit, 8);
    for (int b = 0; b < buckets; b++) {
      this.buckets.add(new Bucket(b, after == null ? "" : after, Math.min(chunk, store.settings().pageSizeMax())));
    }
  }

  CompletionStage<AccountPage> page() {
    while (true) {
      List<Bucket> empty = buckets.stream().filter(b -> b.read.isEmpty() && !b.done).toList();
      if (!empty.isEmpty()) {
        if (lastSeen != null && budget.spent()) {
          return CompletableFuture.completedFuture(new AccountPage(page, lastSeen));
        }
        List<CompletableFuture<Void>> reads = empty.stream().map(b -> read(b).toCompletableFuture()).toList();
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(d -> page());
      }
      Bucket smallest = null;
      for (Bucket b : buckets) {
        if (!b.read.isEmpty() && (smallest == null || b.read.peek().id().compareTo(smallest.read.peek().id()) < 0)) {
          smallest = b;
        }
      }
      if (smallest == null) {
        return CompletableFuture.completedFuture(new AccountPage(page, null)); // every bucket read to its end
      }
      AccountRow row = smallest.read.poll();
      lastSeen = row.id();
      if (shown(row)) {
        page.add(row);
        if (page.size() == limit) {
          return CompletableFuture.completedFuture(new AccountPage(page, row.id()));
        }
      }
    }
  }

  private CompletionStage<Void> read(Bucket b) {
    return store.listingChunk(b.bucket, b.after, before, b.chunk, budget).thenAccept(rows -> {
      b.read.addAll(rows);
      b.done = rows.size() < b.chunk;
      if (!rows.isEmpty()) {
        b.after = rows.get(rows.size() - 1).id();
      }
      b.chunk = Math.min(b.chunk * 2, store.settings().pageSizeMax());
    });
  }

  private boolean shown(AccountRow row) {
    if (row.currency() == null || row.createdAt() == null) {
      return false; // not yet created on the query side (a reordered event wrote part of it)
    }
    return (currency == null || currency.equals(row.currency())) && (status == null || status.equals(row.status()));
  }
}
