package ledger.http;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.server.Route;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import ledger.core.ResultCode;
import ledger.metrics.Metrics;
import ledger.recon.ReconEngine;

/** Operations: GET /recon, POST /recon/run, GET /metrics, GET /openapi.yaml. */
public final class OpsRoutes extends RouteSupport {
  private static final ContentType.NonBinary PROMETHEUS = ContentTypes.TEXT_PLAIN_UTF8;
  private static final ContentType.WithFixedCharset YAML =
      MediaTypes.applicationWithFixedCharset("yaml", HttpCharsets.UTF_8).toContentType();
  /** The API's OpenAPI description (src/main/resources/openapi.yaml), served as it is. */
  private static final byte[] OPENAPI = openApi();

  private final ActorSystem<?> system;
  private final ActorRef<ReconEngine.Command> recon;
  private final Duration askTimeout;
  private final Duration runTimeout;

  /** {@code recon} is null when the recon engine is disabled on this cluster. */
  public OpsRoutes(ActorSystem<?> system, ActorRef<ReconEngine.Command> recon, Duration runTimeout,
                   HttpSettings settings) {
    super(settings);
    this.system = system;
    this.recon = recon;
    this.askTimeout = settings.askTimeout();
    this.runTimeout = runTimeout;
  }

  public Route routes() {
    return concat(
        path("metrics", () -> get(() -> complete(HttpResponse.create()
            .withEntity(PROMETHEUS, Metrics.get(system).scrape())))),
        path("openapi.yaml", () -> get(() -> complete(HttpResponse.create().withEntity(YAML, OPENAPI)))),
        pathPrefix("recon", () -> concat(
            pathEnd(() -> get(() -> withRecon(() -> completeSafely(latest())))),
            path("run", () -> post(() -> parameterMap(params -> withRecon(() -> run(params))))))));
  }

  private static byte[] openApi() {
    try (var in = OpsRoutes.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Route withRecon(java.util.function.Supplier<Route> inner) {
    if (recon == null) {
      return complete(ErrorMapping.response(ResultCode.UNAVAILABLE, "the recon engine is disabled on this cluster"));
    }
    return inner.get();
  }

  private CompletionStage<HttpResponse> latest() {
    return AskPattern.ask(recon, ReconEngine.GetLatest::new, askTimeout, system.scheduler())
        .thenApply(l -> Json.ok(QueryJson.recon(l.report())));
  }

  /** Runs now (after a run in progress) and answers with that run's report. */
  private Route run(Map<String, String> params) {
    if (!Set.of("full").containsAll(params.keySet())) {
      return complete(ErrorMapping.response(ResultCode.UNKNOWN_PARAMETER, "allowed query parameter: full"));
    }
    String full = params.getOrDefault("full", "false");
    if (!full.equals("true") && !full.equals("false")) {
      return complete(ErrorMapping.response(ResultCode.INVALID_PARAMETER, "full must be true or false"));
    }
    CompletionStage<ReconEngine.Latest> answer = AskPattern.ask(recon,
        replyTo -> new ReconEngine.RunNow(Boolean.parseBoolean(full), replyTo), runTimeout, system.scheduler());
    return completeSafely(answer.thenApply(l -> Json.ok(QueryJson.recon(l.report()))));
  }
}
