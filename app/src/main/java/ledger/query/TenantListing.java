package ledger.query;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.query.QueryRows.AccountPage;
import ledger.query.QueryRows.AccountRow;

/**
 * GET /accounts for a caller limited to account id prefixes: the listing of each prefix's id
 * range in turn (sorted prefixes, none covering another, so the ranges are disjoint and in
 * order), so that pages and their {@code next} cursor stay exact and only the caller's
 * accounts are ever read.
 */
public final class TenantListing {
  /** Sorts after every character an id may hold ([A-Za-z0-9._:-]). */
  private static final char ABOVE_ID_CHARS = '{';

  private TenantListing() {}

  /** {@code prefixes} sorted with none covering another (ledger.auth.Caller); empty: every account. */
  public static CompletionStage<AccountPage> accounts(QueryStore store, List<String> prefixes, String currency,
                                                      String status, String after, int limit, QueryBudget budget) {
    if (prefixes.isEmpty()) {
      return store.accounts(currency, status, after, null, limit, budget);
    }
    return from(store, prefixes, 0, currency, status, after, limit, new ArrayList<>(), budget);
  }

  private static CompletionStage<AccountPage> from(QueryStore store, List<String> prefixes, int i, String currency,
                                                   String status, String after, int limit, List<AccountRow> page,
                                                   QueryBudget budget) {
    while (i < prefixes.size() && after != null && after.compareTo(upper(prefixes.get(i))) >= 0) {
      i++;
    }
    if (i == prefixes.size()) {
      return CompletableFuture.completedFuture(new AccountPage(page, null));
    }
    String prefix = prefixes.get(i);
    String lower = after != null && after.compareTo(prefix) >= 0 ? after : below(prefix);
    int next = i + 1;
    return store.accounts(currency, status, lower, upper(prefix), limit - page.size(), budget).thenCompose(part -> {
      // Belt and braces: whatever the range returned, only ids under the prefix are shown.
      part.accounts().stream().filter(a -> a.id().startsWith(prefix)).forEach(page::add);
      if (part.next() != null) {
        return CompletableFuture.completedFuture(new AccountPage(page, part.next()));
      }
      return from(store, prefixes, next, currency, status, after, limit, page, budget);
    });
  }

  /** Above every id that starts with {@code prefix}. */
  static String upper(String prefix) {
    return prefix + ABOVE_ID_CHARS;
  }

  /** Below {@code prefix} and above every id that sorts before it without starting with it. */
  static String below(String prefix) {
    int last = prefix.length() - 1;
    return prefix.substring(0, last) + (char) (prefix.charAt(last) - 1) + ABOVE_ID_CHARS;
  }
}
