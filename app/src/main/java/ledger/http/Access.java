package ledger.http;

import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import java.util.Optional;
import java.util.function.Supplier;
import ledger.auth.Authenticator;
import ledger.auth.Caller;
import ledger.auth.Scope;
import ledger.core.ResultCode;

/**
 * Who may call what: authentication of every request of the API port before its body is read,
 * then the scope its route needs ({@link ApiRoute#scope()}). The caller travels with the request
 * as an attribute, for the routes' checks of account prefixes.
 */
final class Access extends AllDirectives {
  static final AttributeKey<Caller> CALLER = AttributeKey.create("ledger-caller", Caller.class);

  private final Authenticator authenticator;

  /** {@code authenticator} null: authentication is off, every request is an all-scope caller. */
  Access(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  Route authenticated(Supplier<Route> inner) {
    if (authenticator == null) {
      return as(Caller.UNAUTHENTICATED_ALL, inner);
    }
    return optionalHeaderValueByName("Authorization", header -> onSuccess(authenticator.authenticate(header),
        outcome -> {
          if (outcome instanceof Authenticator.Allowed allowed) {
            return as(allowed.caller(), inner);
          }
          if (outcome instanceof Authenticator.Denied denied) {
            return complete(unauthenticated(denied.tokenPresent()));
          }
          return complete(ErrorMapping.response(ResultCode.UNAVAILABLE,
              "the API keys cannot be read now; retry"));
        }));
  }

  /** 403 naming the scope if the caller lacks the one its route needs; paths of no route go on (404/405). */
  Route authorized(Supplier<Route> inner) {
    return extractRequest(request -> attribute(CALLER, caller -> {
      Optional<ApiRoute> route = ApiRoute.of(request.method().value(), request.getUri().path());
      if (route.isPresent() && !caller.has(route.get().scope())) {
        return complete(forbidden(route.get().scope()));
      }
      return inner.get();
    }));
  }

  private static HttpResponse forbidden(Scope scope) {
    return ErrorMapping.response(ResultCode.FORBIDDEN, "this key lacks the scope " + scope.wire());
  }

  private Route as(Caller caller, Supplier<Route> inner) {
    return mapRequest(r -> {
      r.getAttribute(Audit.ENTRY).ifPresent(entry -> entry.caller(caller));
      return r.addAttribute(CALLER, caller);
    }, inner);
  }

  /** RFC 6750: a token that was sent but is not valid is error="invalid_token"; which way it is not valid, never. */
  private static HttpResponse unauthenticated(boolean tokenPresent) {
    String message = tokenPresent
        ? "the bearer token is not valid"
        : "an API key is required: send Authorization: Bearer <key>";
    return ErrorMapping.response(ResultCode.UNAUTHENTICATED, message)
        .addHeader(RawHeader.create("WWW-Authenticate", tokenPresent ? "Bearer error=\"invalid_token\"" : "Bearer"));
  }
}
