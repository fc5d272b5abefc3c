package ledger.http;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.MethodRejection;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import akka.actor.typed.ActorRef;
import java.time.Duration;
import ledger.auth.Authenticator;
import ledger.core.ResultCode;
import ledger.metrics.Metrics;
import ledger.query.AccountJournal;
import ledger.query.AccountRows;
import ledger.query.QueryStore;
import ledger.query.VersionWait;
import ledger.recon.ReconEngine;

/**
 * The whole HTTP API: one owner per URL prefix (/accounts, /transfers, and the operations'
 * /recon, /metrics, /openapi.yaml), with rejections and failures answered as docs/api.md errors.
 */
public final class HttpApi extends AllDirectives {
  private final AccountRoutes accounts;
  private final TransferRoutes transfers;
  private final OpsRoutes ops;
  private final Metrics metrics;
  private final Access access;
  private final Audit audit = new Audit();

  /** {@code authenticator} null: authentication is off (every caller has every scope). */
  public HttpApi(ActorSystem<?> system, HttpSettings settings, QueryStore store,
                 ActorRef<ReconEngine.Command> recon, Duration reconRunTimeout, Authenticator authenticator) {
    this.metrics = Metrics.get(system);
    this.access = new Access(authenticator);
    AccountQueries queries = new AccountQueries(store,
        new VersionWait(store, new AccountRows(store, AccountJournal.cassandra(system))), settings);
    this.accounts = new AccountRoutes(ClusterSharding.get(system), queries, settings);
    this.transfers = new TransferRoutes(ClusterSharding.get(system), settings, metrics);
    this.ops = new OpsRoutes(system, recon, reconRunTimeout, settings);
  }

  public Route route() {
    RejectionHandler rejections = RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rs -> complete(
            ErrorMapping.response(ResultCode.METHOD_NOT_ALLOWED, "method not allowed on this path")))
        .handle(UnsupportedRequestContentTypeRejection.class, r -> complete(
            ErrorMapping.response(ResultCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")))
        .handleNotFound(complete(ErrorMapping.response(ResultCode.NOT_FOUND, "no such path")))
        .handle(akka.http.javadsl.server.Rejection.class, r -> complete(
            ErrorMapping.response(ResultCode.BAD_REQUEST, "bad request")))
        .build();
    ExceptionHandler exceptions = ExceptionHandler.newBuilder()
        .matchAny(t -> complete(RouteSupport.failure(t)))
        .build();
    // Authentication comes before any route reads a body or touches an entity; the audit line
    // is written from the answer as the client gets it, errors and refusals included.
    return countRequests(() -> timeoutsAsErrors(() -> audit.audited(() -> handleExceptions(exceptions,
        () -> handleRejections(rejections, () -> access.authenticated(() -> access.authorized(
            () -> concat(accounts.routes(), transfers.routes(), ops.routes()))))))));
  }

  /** Akka HTTP's answer past akka.http.server.request-timeout as an error of docs/api.md, not its plain text. */
  static Route timeoutsAsErrors(java.util.function.Supplier<Route> inner) {
    return Directives.withRequestTimeoutResponse(HttpApi::timedOut, inner);
  }

  static HttpResponse timedOut(HttpRequest request) {
    return ErrorMapping.response(ResultCode.UNAVAILABLE, "no answer within the request timeout; a change may or "
        + "may not have happened: retry with the same id");
  }

  /** Every answer, errors included, counted by method, route template and status. */
  private Route countRequests(java.util.function.Supplier<Route> inner) {
    return extractRequest(request -> mapResponse(response -> {
      metrics.httpRequests.labels(request.method().value(), ApiRoute.template(request.getUri().path()),
          Integer.toString(response.status().intValue())).inc();
      return response;
    }, inner));
  }
}
