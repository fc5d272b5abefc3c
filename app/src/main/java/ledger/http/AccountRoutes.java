package ledger.http;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorRef;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import akka.japi.function.Function;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.LimitChange;
import ledger.account.AccountSpec;
import ledger.auth.Caller;
import ledger.auth.Scope;
import ledger.core.ResultCode;

/**
 * Every /accounts route of docs/api.md: the command side here (routes only translate; the
 * entities decide), the query side's listing, entries, balance and transfers in
 * {@link AccountQueries}.
 */
public final class AccountRoutes extends RouteSupport {
  private static final Set<String> CREATE_FIELDS = Set.of("id", "currency", "min_balance", "max_balance", "metadata");
  private static final Set<String> UPDATE_FIELDS = Set.of("min_balance", "max_balance", "metadata");

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final AccountQueries queries;

  AccountRoutes(ClusterSharding sharding, AccountQueries queries, HttpSettings settings) {
    super(settings);
    this.sharding = sharding;
    this.askTimeout = settings.askTimeout();
    this.queries = queries;
  }

  public Route routes() {
    return caller(caller -> pathPrefix("accounts", () -> concat(
        pathEnd(() -> concat(
            get(() -> queries.list(caller)),
            post(() -> audit(entry -> jsonBody(CREATE_FIELDS, body -> create(caller, entry, body)))))),
        pathPrefix(segment(), id -> validId(id, () -> concat(
            pathEnd(() -> concat(
                get(() -> respond(ask(caller, id, AccountEntity.Get::new))),
                patch(() -> jsonBody(UPDATE_FIELDS, body -> update(caller, id, body))))),
            path("lock", () -> post(() -> respond(ask(caller, id, r -> new AccountEntity.Lock(caller.keyId(), r))))),
            path("unlock", () -> post(() -> respond(ask(caller, id,
                r -> new AccountEntity.Unlock(caller.keyId(), r))))),
            path("close", () -> post(() -> respond(ask(caller, id, r -> new AccountEntity.Close(caller.keyId(), r))))),
            path("entries", () -> get(() -> queries.entries(caller, id))),
            path("balance", () -> get(() -> queries.balance(caller, id))),
            path("transfers", () -> get(() -> queries.transfers(caller, id)))))))));
  }

  private CompletionStage<HttpResponse> create(Caller caller, Audit.Entry entry, JsonRequest body) {
    String id = body.id("id");
    entry.account(id);
    AccountSpec spec = new AccountSpec(
        body.currency("currency"),
        body.limit("min_balance", 0L),
        body.limit("max_balance", null),
        body.metadata("metadata"));
    if (!caller.owns(id)) {
      // The same answer whether or not the id exists elsewhere: nothing is revealed.
      throw new ApiError(ResultCode.FORBIDDEN, "this key may only create accounts whose id starts with one of "
          + "its account prefixes");
    }
    return ask(caller, id, replyTo -> new AccountEntity.Create(spec, caller.keyId(), replyTo))
        .thenApply(AccountRoutes::toResponse);
  }

  private CompletionStage<HttpResponse> update(Caller caller, String id, JsonRequest body) {
    if ((body.has("min_balance") || body.has("max_balance")) && !caller.has(Scope.ACCOUNTS_ADMIN)) {
      throw new ApiError(ResultCode.FORBIDDEN, "this key lacks the scope " + Scope.ACCOUNTS_ADMIN.wire()
          + " (changing min_balance or max_balance needs it)");
    }
    LimitChange min = body.has("min_balance") ? new LimitChange(body.limit("min_balance", null)) : null;
    LimitChange max = body.has("max_balance") ? new LimitChange(body.limit("max_balance", null)) : null;
    Map<String, String> metadata = body.has("metadata") ? body.metadata("metadata") : null;
    return ask(caller, id, replyTo -> new AccountEntity.Update(min, max, metadata, caller.keyId(), replyTo))
        .thenApply(AccountRoutes::toResponse);
  }

  /** Another tenant's account is answered as the entity answers an account that does not exist. */
  private CompletionStage<AccountEntity.Reply> ask(Caller caller, String id,
      Function<ActorRef<AccountEntity.Reply>, AccountEntity.Command> command) {
    if (!caller.owns(id)) {
      return CompletableFuture.completedFuture(
          new AccountEntity.Refusal(ResultCode.ACCOUNT_NOT_FOUND, "account " + id + " does not exist"));
    }
    return sharding.entityRefFor(AccountEntity.TYPE_KEY, id).ask(command, askTimeout);
  }

  private Route respond(CompletionStage<AccountEntity.Reply> reply) {
    return completeSafely(reply.thenApply(AccountRoutes::toResponse));
  }

  static HttpResponse toResponse(AccountEntity.Reply reply) {
    if (reply instanceof AccountEntity.Accepted ok) {
      return Json.response(ok.created() ? StatusCodes.CREATED : StatusCodes.OK, AccountJson.of(ok.account()));
    }
    AccountEntity.Refusal no = (AccountEntity.Refusal) reply;
    return ErrorMapping.response(no.code(), no.message());
  }
}
