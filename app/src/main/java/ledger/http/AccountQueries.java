package ledger.http;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import ledger.auth.Caller;
import ledger.core.Ids;
import ledger.core.ResultCode;
import ledger.query.DataNotReady;
import ledger.query.QueryBudget;
import ledger.query.QueryRows.AccountRow;
import ledger.query.QueryRows.Entry;
import ledger.query.QuerySettings;
import ledger.query.QueryStore;
import ledger.query.TenantListing;
import ledger.query.VersionWait;

/**
 * The query-side handlers of the /accounts routes (AccountRoutes owns the paths): docs/api.md's
 * listing, entries, balance and transfers of an account, eventually consistent, from the
 * projection's tables. A {@code min_version} makes a per-account query wait, bounded
 * ({@link VersionWait}), for the query side to reach that version of the account, then answer
 * {@code 503 data_not_ready} with the version it has.
 */
final class AccountQueries extends RouteSupport {
  private static final Pattern CURRENCY = Pattern.compile("^[A-Z][A-Z0-9_]{1,15}$");
  private static final Pattern INTEGER = Pattern.compile("^[0-9]{1,19}$");
  private static final Set<String> STATUSES = Set.of("open", "locked", "closed");

  private final QueryStore store;
  private final VersionWait versions;
  private final QuerySettings q;

  AccountQueries(QueryStore store, VersionWait versions, HttpSettings settings) {
    super(settings);
    this.store = store;
    this.versions = versions;
    this.q = store.settings();
  }

  /** GET /accounts. */
  Route list(Caller caller) {
    return query(Set.of("currency", "status", "after", "limit"), (p, b) -> list(caller, p, b));
  }

  /** GET /accounts/{id}/entries. */
  Route entries(Caller caller, String id) {
    return query(Set.of("after_version", "limit", "min_version"), (p, b) -> entries(caller, id, p, b));
  }

  /** GET /accounts/{id}/balance. */
  Route balance(Caller caller, String id) {
    return query(Set.of("at", "min_version"), (p, b) -> balance(caller, id, p, b));
  }

  /** GET /accounts/{id}/transfers. */
  Route transfers(Caller caller, String id) {
    return query(Set.of("after", "limit", "min_version"), (p, b) -> transfers(caller, id, p, b));
  }

  /**
   * Runs a query within its budget ({@link QueryBudget}: bounded reads, the request's timeout);
   * when the request times out, its reads stop and the client gets the JSON timeout answer.
   */
  private Route query(Set<String> allowed,
                      BiFunction<Map<String, String>, QueryBudget, CompletionStage<HttpResponse>> handler) {
    return parameterMap(params -> {
      for (String name : params.keySet()) {
        if (!allowed.contains(name)) {
          return complete(ErrorMapping.response(ResultCode.UNKNOWN_PARAMETER, "unknown query parameter " + name
              + "; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed))));
        }
      }
      QueryBudget budget = QueryBudget.forRequest(q);
      CompletionStage<HttpResponse> response;
      try {
        response = handler.apply(params, budget);
      } catch (ApiError e) {
        return complete(ErrorMapping.response(e));
      }
      return withRequestTimeoutResponse(request -> {
        budget.cancel();
        return notFinished("the request timed out");
      }, () -> completeWithFuture(response.exceptionally(AccountQueries::failureOrNotReady)));
    });
  }

  // ---- GET /accounts ----------------------------------------------------------------------------

  private CompletionStage<HttpResponse> list(Caller caller, Map<String, String> p, QueryBudget budget) {
    String currency = p.get("currency");
    if (currency != null && !CURRENCY.matcher(currency).matches()) {
      throw new ApiError(ResultCode.INVALID_CURRENCY, "currency must match ^[A-Z][A-Z0-9_]{1,15}$");
    }
    String status = p.get("status");
    if (status != null && !STATUSES.contains(status)) {
      throw new ApiError(ResultCode.INVALID_STATUS, "status must be open, locked or closed");
    }
    String after = p.get("after");
    if (after != null && !Ids.isValid(after)) {
      throw new ApiError(ResultCode.INVALID_ID, "after must be an account id");
    }
    int limit = limit(p);
    return TenantListing.accounts(store, caller.prefixes(), currency, status, after, limit, budget).thenApply(page ->
        Json.ok(Json.page("accounts", page.accounts(), QueryJson::account, Json.cursor(page.next()))));
  }

  // ---- GET /accounts/{id}/entries -------------------------------------------------------------

  private CompletionStage<HttpResponse> entries(Caller caller, String id, Map<String, String> p, QueryBudget budget) {
    long after = version(p, "after_version", 0L);
    int limit = limit(p);
    return projected(caller, id, p, budget).thenCompose(upTo -> store.entries(id, after, upTo, limit, budget))
        .thenApply(page -> Json.ok(Json.page("entries", page.items(), QueryJson::entry, Json.cursor(page.next()))));
  }

  // ---- GET /accounts/{id}/balance ---------------------------------------------------------------

  private CompletionStage<HttpResponse> balance(Caller caller, String id, Map<String, String> p, QueryBudget budget) {
    Instant at = time(p, "at");
    return projected(caller, id, p, budget).thenCompose(upTo -> store.account(id).thenCompose(row -> {
      AccountRow a = row.orElseThrow(() -> notFound(id));
      if (at == null) {
        return CompletableFuture.completedFuture(balanceJson(a, null, a.version(), a.debitsPosted(),
            a.creditsPosted(), a.debitsPending(), a.creditsPending()));
      }
      if (a.createdAt().isAfter(at)) {
        throw new ApiError(ResultCode.ACCOUNT_NOT_FOUND, "account " + id + " did not exist at " + Json.time(at));
      }
      return store.entryAt(id, upTo, at, budget).thenApply(entry -> {
        if (entry.isEmpty()) {
          return balanceJson(a, at, null, 0, 0, 0, 0); // created, no leg yet
        }
        Entry e = entry.get();
        if (e.creditsPosted() == null) {
          throw new ApiError(ResultCode.DATA_NOT_READY, "entries of this period carry no balances");
        }
        return balanceJson(a, at, e.version(), e.debitsPosted(), e.creditsPosted(), e.debitsPending(),
            e.creditsPending());
      });
    }));
  }

  private static HttpResponse balanceJson(AccountRow a, Instant at, Long version, long dp, long cp, long dpe,
                                          long cpe) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("account_id", a.id());
    o.put("currency", a.currency());
    o.put("at", Json.time(at));
    o.put("version", version);
    QueryJson.counters(o, dp, cp, dpe, cpe);
    return Json.ok(o);
  }

  // ---- GET /accounts/{id}/transfers -------------------------------------------------------------

  private CompletionStage<HttpResponse> transfers(Caller caller, String id, Map<String, String> p,
                                                  QueryBudget budget) {
    long before = version(p, "after", Long.MAX_VALUE);
    int limit = limit(p);
    return projected(caller, id, p, budget).thenCompose(upTo -> store.transfers(id, upTo, before, limit, budget))
        .thenApply(page -> Json.ok(Json.page("transfers", page.items(), QueryJson::transfer,
            Json.cursor(page.next()))));
  }

  // ---- min_version ------------------------------------------------------------------------------

  /**
   * The account's projected version once it reaches min_version (else data_not_ready); 404 if
   * none, and at once for another tenant's account (whether it exists or not).
   */
  private CompletionStage<Long> projected(Caller caller, String id, Map<String, String> p, QueryBudget budget) {
    long minVersion = version(p, "min_version", 0L);
    if (!caller.owns(id)) {
      throw notFound(id);
    }
    return versions.await(id, minVersion, budget).thenApply(v -> {
      if (v == 0) {
        throw notFound(id);
      }
      return v;
    });
  }

  private static HttpResponse failureOrNotReady(Throwable t) {
    if (cause(t) instanceof DataNotReady d) {
      return ErrorMapping.response(ResultCode.DATA_NOT_READY, d.getMessage(),
          error -> error.put("available_version", d.available()));
    }
    if (cause(t) instanceof QueryBudget.QueryCancelled ended) {
      return notFinished(ended.getMessage());
    }
    return failure(t);
  }

  private static HttpResponse notFinished(String why) {
    return ErrorMapping.response(ResultCode.UNAVAILABLE, "the query did not finish (" + why + "); nothing was "
        + "changed, retry");
  }

  // ---- parameters -------------------------------------------------------------------------------

  private int limit(Map<String, String> p) {
    String s = p.get("limit");
    if (s == null) {
      return q.pageSizeDefault();
    }
    if (!INTEGER.matcher(s).matches() || s.length() > 6 || Integer.parseInt(s) < 1
        || Integer.parseInt(s) > q.pageSizeMax()) {
      throw new ApiError(ResultCode.INVALID_PAGE_LIMIT, "limit must be an integer from 1 to " + q.pageSizeMax());
    }
    return Integer.parseInt(s);
  }

  private static long version(Map<String, String> p, String name, long absent) {
    String s = p.get(name);
    if (s == null) {
      return absent;
    }
    try {
      if (INTEGER.matcher(s).matches()) {
        return Long.parseLong(s);
      }
    } catch (NumberFormatException tooLarge) {
      // falls through to the error
    }
    throw new ApiError(ResultCode.INVALID_VERSION, name + " must be a non-negative integer version");
  }

  private static Instant time(Map<String, String> p, String name) {
    String s = p.get(name);
    if (s == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw new ApiError(ResultCode.INVALID_TIME, name + " must be an RFC 3339 time, e.g. 2026-11-22T10:15:30.123Z");
    }
  }

  private static ApiError notFound(String id) {
    return new ApiError(ResultCode.ACCOUNT_NOT_FOUND, "account " + id + " is not on the query side "
        + "(it does not exist, or is newer than the projection: pass min_version=1 to wait for it)");
  }
}
