package ledger.http;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.http.scaladsl.model.ExceptionWithErrorInfo;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import ledger.auth.Caller;
import ledger.core.Ids;
import ledger.core.ResultCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every route needs: a checked JSON body, a checked path id, and failures mapped to codes. */
abstract class RouteSupport extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(RouteSupport.class);
  private static final ApiError TOO_LARGE =
      new ApiError(ResultCode.BODY_TOO_LARGE, "request body is larger than the limit");

  private final HttpSettings settings;

  RouteSupport(HttpSettings settings) {
    this.settings = settings;
  }

  /** Reads an object body, refusing fields not in {@code fields}, and hands it on. */
  Route jsonBody(Set<String> fields, Function<JsonRequest, CompletionStage<HttpResponse>> handler) {
    return jsonNode(node -> handler.apply(JsonRequest.of(node, fields, settings.limits())));
  }

  /** As {@link #jsonBody}, but an empty body is allowed and handed on as null. */
  Route optionalJsonBody(Set<String> fields, Function<JsonRequest, CompletionStage<HttpResponse>> handler) {
    return extractRequestEntity(entity -> entity.isKnownEmpty()
        ? completeSafely(handler.apply(null))
        : jsonBody(fields, handler));
  }

  /** Reads at most the configured body size as JSON, then hands it to {@code handler}. */
  Route jsonNode(Function<JsonNode, CompletionStage<HttpResponse>> handler) {
    return extractRequestEntity(entity -> extractMaterializer(mat -> {
      if (entity.isKnownEmpty()) {
        return complete(ErrorMapping.response(ResultCode.MALFORMED_JSON, "a JSON request body is required"));
      }
      if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return complete(ErrorMapping.response(ResultCode.UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json"));
      }
      long max = settings.limits().requestBodyBytesMax();
      java.time.Duration bodyTimeout = settings.bodyTimeout();
      if (entity.getContentLengthOption().orElse(0L) > max) {
        // Read and drop the body before answering, so that a client still sending it gets the
        // 413 and not a reset connection; but only for body-timeout: a client that declares a
        // large body and never sends it would otherwise hold this connection, unanswered, until
        // akka.http.server.idle-timeout (Akka's request-timeout starts only at the end of the
        // request). Answered either way; what is left unread makes Akka close the connection.
        return completeWithFuture(entity.getDataBytes().completionTimeout(bodyTimeout)
            .runWith(Sink.ignore(), mat).handle((done, e) -> tooLarge()));
      }
      // Streamed bodies of unknown length fail with EntityStreamSizeException past the limit.
      CompletionStage<HttpResponse> response = entity
          .withSizeLimit(max)
          .toStrict(bodyTimeout.toMillis(), mat)
          .exceptionally(e -> {
            // A body that does not arrive in time is the client's fault, not an outcome unknown
            // (503 unavailable): nothing was attempted. Akka then closes the connection.
            if (cause(e) instanceof TimeoutException) {
              throw new ApiError(ResultCode.BAD_REQUEST, "the request body did not arrive within "
                  + bodyTimeout.toSeconds() + " s");
            }
            throw e instanceof CompletionException c ? c : new CompletionException(e);
          })
          .thenCompose((HttpEntity.Strict strict) ->
              handler.apply(JsonRequest.readTree(strict.getData().utf8String(), settings.limits())));
      return completeSafely(response);
    }));
  }

  /** The authenticated caller of this request (set by {@link Access}). */
  Route caller(Function<Caller, Route> inner) {
    return attribute(Access.CALLER, inner::apply);
  }

  /** This request's audit entry, to note the ids it names ({@link Audit.Entry#NONE} for a read). */
  Route audit(Function<Audit.Entry, Route> inner) {
    return extractRequest(r -> inner.apply(r.getAttribute(Audit.ENTRY).orElse(Audit.Entry.NONE)));
  }

  Route validId(String id, Supplier<Route> inner) {
    if (!Ids.isValid(id)) {
      return complete(ErrorMapping.response(ResultCode.INVALID_ID,
          "id must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"));
    }
    return inner.get();
  }

  /** Completes with the response, or with the code of the failure; never with a stack trace. */
  Route completeSafely(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response.exceptionally(RouteSupport::failure));
  }

  private static HttpResponse tooLarge() {
    return ErrorMapping.response(TOO_LARGE);
  }

  /** The failure a future completed with, out of its CompletionException. */
  static Throwable cause(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  static HttpResponse failure(Throwable t) {
    return ErrorMapping.response(refusal(t));
  }

  /** The code and message a failure is answered with; an unexpected one is logged, never shown. */
  static ApiError refusal(Throwable t) {
    Throwable cause = cause(t);
    if (cause instanceof ApiError e) {
      return e;
    }
    if (cause instanceof EntityStreamSizeException) {
      return TOO_LARGE;
    }
    if (cause instanceof ExceptionWithErrorInfo broken) {
      // The request itself could not be read (e.g. a chunked body that is not chunked).
      return new ApiError(ResultCode.BAD_REQUEST, "malformed request: " + ParsingErrors.summary(broken.info()));
    }
    if (cause instanceof TimeoutException) {
      return new ApiError(ResultCode.UNAVAILABLE, "no answer in time; the outcome is unknown, retry with the same id");
    }
    log.error("Request failed", cause);
    return new ApiError(ResultCode.INTERNAL_ERROR, "internal error");
  }
}
