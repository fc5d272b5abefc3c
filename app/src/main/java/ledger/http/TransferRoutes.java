package ledger.http;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorRef;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import akka.japi.function.Function;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import ledger.auth.Caller;
import ledger.core.Limits;
import ledger.core.ResultCode;
import ledger.metrics.Metrics;
import ledger.transfer.Admission;
import ledger.transfer.Transfer;
import ledger.transfer.TransferEntity;

/** The transfers part of docs/api.md. Routes only translate; the coordinator decides. */
public final class TransferRoutes extends RouteSupport {
  private static final Set<String> BATCH_FIELDS = Set.of("transfers");
  private static final Set<String> POST_FIELDS = Set.of("amount");

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final Limits limits;

  private final Metrics metrics;
  private final Admission admission;

  public TransferRoutes(ClusterSharding sharding, HttpSettings settings, Metrics metrics) {
    super(settings);
    this.metrics = metrics;
    this.admission = new Admission(settings.transfersInFlightMax(), metrics.transfersInFlight::set);
    this.sharding = sharding;
    this.askTimeout = settings.askTimeout();
    this.limits = settings.limits();
  }

  public Route routes() {
    return caller(caller -> audit(entry -> pathPrefix("transfers", () -> concat(
        pathEnd(() -> post(() -> jsonNode(body -> create(caller, entry, body)))),
        path("batch", () -> post(() -> jsonBody(BATCH_FIELDS, body -> batch(caller, entry, body)))),
        pathPrefix(segment(), id -> validId(id, () -> concat(
            pathEnd(() -> get(() -> completeSafely(visible(caller, id).thenApply(r -> asRead(r))))),
            path("post", () -> post(() -> optionalJsonBody(POST_FIELDS,
                body -> postPending(caller, entry, id, body)))),
            path("void", () -> post(() -> completeSafely(admitted(1,
                () -> act(caller, id, r -> new TransferEntity.VoidPending(caller.keyId(), r))
                    .thenApply(r -> toResponse(noteAccounts(entry, r))))))))))))));
  }

  private CompletionStage<HttpResponse> create(Caller caller, Audit.Entry entry, JsonNode body) {
    TransferParser.Parsed parsed = TransferParser.parse(body, limits);
    note(entry, parsed);
    return admitted(1, () -> createAs(caller, parsed)
        .whenComplete(this::countOutcome)
        .thenApply(TransferRoutes::toResponse));
  }

  /**
   * Runs {@code work} if the node admits {@code n} more transfers, giving the places back when
   * it completes; otherwise fails with 503 overloaded before anything was sent to an entity.
   */
  private <T> CompletionStage<T> admitted(int n, Supplier<CompletionStage<T>> work) {
    if (!admission.tryEnter(n)) {
      metrics.transfersOverloaded.inc();
      return CompletableFuture.failedFuture(new ApiError(ResultCode.OVERLOADED, "this node has "
          + admission.max() + " transfers in flight; nothing was started, send the request again after Retry-After"));
    }
    try {
      return work.get().whenComplete((result, failure) -> admission.exit(n));
    } catch (RuntimeException e) {
      admission.exit(n);
      throw e;
    }
  }

  // ---- tenants: another tenant's accounts and transfers are answered as if they did not exist ----

  /**
   * A tenant's transfer ids fall under its prefixes, as its account ids do: any other id is 403
   * forbidden whether or not it exists, so that tenants never share an id and a create never
   * tells one tenant which ids another used. A leg naming another tenant's account is refused
   * before any entity hears of it, with the answer a missing account gets (422
   * account_not_found on the first such account); nothing is stored. A retry of an id whose
   * stored transfer is not the tenant's (an unlimited key made it) is 404 transfer_not_found.
   */
  private CompletionStage<TransferEntity.Reply> createAs(Caller caller, TransferParser.Parsed parsed) {
    if (!caller.owns(parsed.id())) {
      return CompletableFuture.completedFuture(new TransferEntity.Failed(ResultCode.FORBIDDEN,
          "this key creates transfers whose id starts with one of its prefixes " + caller.prefixes()));
    }
    Optional<String> foreign = parsed.request().postingsByAccount().keySet().stream()
        .filter(a -> !caller.owns(a)).findFirst();
    if (foreign.isPresent()) {
      Instant now = Instant.now();
      Transfer refused = new Transfer(parsed.id(), parsed.request(), Transfer.Status.REJECTED,
          new Transfer.Rejection(ResultCode.ACCOUNT_NOT_FOUND, foreign.get()), null, now, now, null);
      return CompletableFuture.completedFuture(new TransferEntity.Done(refused, true));
    }
    CompletionStage<TransferEntity.Reply> reply =
        ask(parsed.id(), replyTo -> new TransferEntity.Create(parsed.request(), caller.keyId(), replyTo));
    if (!caller.isTenant()) {
      return reply;
    }
    return reply.thenCompose(r -> r instanceof TransferEntity.Failed f && f.code().existsWithDifferent()
        ? visible(caller, parsed.id()).thenApply(read -> read instanceof TransferEntity.Done ? r : read)
        : CompletableFuture.completedFuture(r));
  }

  /** The transfer as GET reads it, or 404 transfer_not_found if any of its legs is not the caller's. */
  private CompletionStage<TransferEntity.Reply> visible(Caller caller, String id) {
    return ask(id, TransferEntity.Get::new).thenApply(r -> {
      if (r instanceof TransferEntity.Done done && !owns(caller, done.transfer())) {
        return new TransferEntity.Failed(ResultCode.TRANSFER_NOT_FOUND, "transfer " + id + " does not exist");
      }
      return r;
    });
  }

  /** Post or void, for a tenant only once the transfer is seen to be its own. */
  private CompletionStage<TransferEntity.Reply> act(Caller caller, String id,
      Function<ActorRef<TransferEntity.Reply>, TransferEntity.Command> command) {
    if (!caller.isTenant()) {
      return ask(id, command);
    }
    return visible(caller, id).thenCompose(r -> r instanceof TransferEntity.Done
        ? ask(id, command) : CompletableFuture.completedFuture(r));
  }

  private static boolean owns(Caller caller, Transfer t) {
    // A presumed-aborted id has no request, so no legs to prove it is the caller's.
    return t.request() == null ? !caller.isTenant()
        : t.request().postingsByAccount().keySet().stream().allMatch(caller::owns);
  }

  /** Transfer outcomes by status and code, for creates (single and batch elements). */
  private void countOutcome(TransferEntity.Reply reply, Throwable failure) {
    if (failure != null) {
      metrics.transferOutcomes.labels("unknown", "unavailable").inc();
    } else if (reply instanceof TransferEntity.Done done) {
      Transfer t = done.transfer();
      String code = t.rejection() == null ? "" : t.rejection().code().wire();
      metrics.transferOutcomes.labels(TransferJson.status(t), code).inc();
    } else {
      metrics.transferOutcomes.labels("failed", ((TransferEntity.Failed) reply).code().wire()).inc();
    }
  }

  private CompletionStage<HttpResponse> postPending(Caller caller, Audit.Entry entry, String id, JsonRequest body) {
    Long amount = body == null || !body.has("amount") ? null : body.amount("amount");
    return admitted(1, () -> act(caller, id, replyTo -> new TransferEntity.PostPending(amount, caller.keyId(), replyTo))
        .thenApply(r -> toResponse(noteAccounts(entry, r))));
  }

  /** The audit line names a transfer and its accounts. */
  private static void note(Audit.Entry entry, TransferParser.Parsed parsed) {
    entry.transfer(parsed.id());
    entry.accounts(parsed.request().postingsByAccount().keySet());
  }

  /** The accounts of the transfer a post or void answered with, for the audit line. */
  private static TransferEntity.Reply noteAccounts(Audit.Entry entry, TransferEntity.Reply reply) {
    if (reply instanceof TransferEntity.Done done && done.transfer().request() != null) {
      entry.accounts(done.transfer().request().postingsByAccount().keySet());
    }
    return reply;
  }

  /** Each element is independent: its own validation, its own outcome, in request order. */
  private CompletionStage<HttpResponse> batch(Caller caller, Audit.Entry entry, JsonRequest body) {
    JsonNode transfers = body.node("transfers");
    if (transfers == null || !transfers.isArray() || transfers.isEmpty()) {
      throw new ApiError(ResultCode.INVALID_BATCH, "transfers must be an array of 1 to "
          + limits.batchTransfersMax() + " transfers");
    }
    if (transfers.size() > limits.batchTransfersMax()) {
      throw new ApiError(ResultCode.TOO_MANY_TRANSFERS, "a batch has at most " + limits.batchTransfersMax()
          + " transfers");
    }
    return admitted(transfers.size(), () -> {
      List<CompletableFuture<ObjectNode>> results = new ArrayList<>();
      for (JsonNode element : transfers) {
        results.add(batchItem(caller, entry, element).toCompletableFuture());
      }
      return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode array = root.putArray("results");
        results.forEach(r -> {
          ObjectNode result = r.join();
          entry.outcome(result.path("status").asText());
          array.add(result);
        });
        return Json.ok(root);
      });
    });
  }

  private CompletionStage<ObjectNode> batchItem(Caller caller, Audit.Entry entry, JsonNode element) {
    TransferParser.Parsed parsed;
    try {
      parsed = TransferParser.parse(element, limits);
      note(entry, parsed);
    } catch (ApiError e) {
      String asked = TransferParser.idOrNull(element);
      if (asked != null) {
        entry.transfer(asked);
      }
      return CompletableFuture.completedFuture(batchResult(TransferParser.idOrNull(element), "failed",
          ErrorMapping.errorBody(e.code(), e.getMessage())));
    }
    String id = parsed.id();
    return createAs(caller, parsed)
        .whenComplete(this::countOutcome)
        .thenApply(reply -> {
          if (reply instanceof TransferEntity.Done done) {
            Transfer t = done.transfer();
            return batchResult(id, TransferJson.status(t), t.rejection() == null ? null : rejectionError(t));
          }
          TransferEntity.Failed failed = (TransferEntity.Failed) reply;
          return batchResult(id, "failed", ErrorMapping.errorBody(failed.code(), failed.message()));
        })
        .exceptionally(t -> batchResult(id, "failed", ErrorMapping.errorBody(ResultCode.UNAVAILABLE,
            "outcome unknown (" + ErrorMapping.status(refusal(t).code()).intValue() + "); retry with the same id")));
  }

  private static ObjectNode batchResult(String id, String status, ObjectNode error) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", id);
    o.put("status", status);
    if (error != null) {
      o.set("error", error);
    }
    return o;
  }

  private CompletionStage<TransferEntity.Reply> ask(String id,
      Function<ActorRef<TransferEntity.Reply>, TransferEntity.Command> command) {
    return sharding.entityRefFor(TransferEntity.TYPE_KEY, id).ask(command, askTimeout);
  }

  /** GET answers the record as it stands, whatever its status (strongly consistent read). */
  static HttpResponse asRead(TransferEntity.Reply reply) {
    if (reply instanceof TransferEntity.Done done) {
      return Json.ok(TransferJson.of(done.transfer()));
    }
    return toResponse(reply);
  }

  static HttpResponse toResponse(TransferEntity.Reply reply) {
    if (reply instanceof TransferEntity.Failed failed) {
      return ErrorMapping.response(failed.code(), failed.message());
    }
    TransferEntity.Done done = (TransferEntity.Done) reply;
    Transfer t = done.transfer();
    if (t.status() == Transfer.Status.REJECTED) {
      ObjectNode root = Json.MAPPER.createObjectNode();
      root.set("error", rejectionError(t));
      root.set("transfer", TransferJson.of(t));
      return Json.response(StatusCodes.UNPROCESSABLE_ENTITY, root)
          .addAttribute(ErrorMapping.CODE, t.rejection().code());
    }
    return Json.response(done.created() ? StatusCodes.CREATED : StatusCodes.OK, TransferJson.of(t));
  }

  private static ObjectNode rejectionError(Transfer t) {
    ObjectNode error = ErrorMapping.errorBody(t.rejection().code(),
        "transfer rejected: " + t.rejection().code().wire() + " on account " + t.rejection().accountId());
    error.put("account_id", t.rejection().accountId());
    return error;
  }

}
