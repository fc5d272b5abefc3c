package ledger.http;

import java.util.List;
import java.util.Optional;
import ledger.auth.Scope;

/**
 * Every route of the HTTP API, once: the request metrics label requests by it, and
 * OpenApiTest proves the server answers exactly these (and openapi.yaml describes exactly
 * these). A path template's {@code {id}} stands for one path segment; a route with a literal
 * segment is listed before an {@code {id}} route of the same shape, which it takes precedence over.
 * Each route names the one scope a caller needs for it (docs/api.md "Authentication"); a PATCH
 * that changes limits needs accounts:admin on top (AccountRoutes).
 */
public enum ApiRoute {
  ACCOUNTS_LIST("GET", "/accounts", Scope.ACCOUNTS_READ),
  ACCOUNT_CREATE("POST", "/accounts", Scope.ACCOUNTS_WRITE),
  ACCOUNT_GET("GET", "/accounts/{id}", Scope.ACCOUNTS_READ),
  ACCOUNT_UPDATE("PATCH", "/accounts/{id}", Scope.ACCOUNTS_WRITE),
  ACCOUNT_LOCK("POST", "/accounts/{id}/lock", Scope.ACCOUNTS_ADMIN),
  ACCOUNT_UNLOCK("POST", "/accounts/{id}/unlock", Scope.ACCOUNTS_ADMIN),
  ACCOUNT_CLOSE("POST", "/accounts/{id}/close", Scope.ACCOUNTS_ADMIN),
  ACCOUNT_ENTRIES("GET", "/accounts/{id}/entries", Scope.ACCOUNTS_READ),
  ACCOUNT_BALANCE("GET", "/accounts/{id}/balance", Scope.ACCOUNTS_READ),
  ACCOUNT_TRANSFERS("GET", "/accounts/{id}/transfers", Scope.ACCOUNTS_READ),
  TRANSFER_CREATE("POST", "/transfers", Scope.TRANSFERS_WRITE),
  TRANSFER_BATCH("POST", "/transfers/batch", Scope.TRANSFERS_WRITE),
  TRANSFER_GET("GET", "/transfers/{id}", Scope.TRANSFERS_READ),
  TRANSFER_POST("POST", "/transfers/{id}/post", Scope.TRANSFERS_WRITE),
  TRANSFER_VOID("POST", "/transfers/{id}/void", Scope.TRANSFERS_WRITE),
  RECON_LATEST("GET", "/recon", Scope.OPS_READ),
  RECON_RUN("POST", "/recon/run", Scope.OPS_ADMIN),
  METRICS("GET", "/metrics", Scope.OPS_READ),
  OPENAPI("GET", "/openapi.yaml", Scope.OPS_READ);

  /** The label of a path that no route has. */
  public static final String OTHER = "other";

  /** {@code values()} copies the array on every call; this is read on every request. */
  private static final ApiRoute[] ALL = values();
  private final String method;
  private final String template;
  private final Scope scope;
  private final List<String> segments;

  ApiRoute(String method, String template, Scope scope) {
    this.method = method;
    this.template = template;
    this.scope = java.util.Objects.requireNonNull(scope);
    this.segments = List.of(template.substring(1).split("/"));
  }

  public String method() {
    return method;
  }

  public String template() {
    return template;
  }

  public Scope scope() {
    return scope;
  }

  /** The route of this method and path, if the API has one. */
  public static Optional<ApiRoute> of(String method, String path) {
    List<String> parts = segments(path);
    for (ApiRoute r : ALL) {
      if (r.method.equals(method) && r.matches(parts)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The template a path belongs to whatever its method (ids never become metric labels), else OTHER. */
  public static String template(String path) {
    List<String> parts = segments(path);
    for (ApiRoute r : ALL) {
      if (r.matches(parts)) {
        return r.template;
      }
    }
    return OTHER;
  }

  /** The {@code {id}} segment of {@code path}, if this route's template has one and the path is this route's. */
  public Optional<String> pathId(String path) {
    List<String> parts = segments(path);
    int at = segments.indexOf("{id}");
    return at >= 0 && matches(parts) ? Optional.of(parts.get(at)) : Optional.empty();
  }

  /** The path's segments, its leading and trailing slashes left out (on every request: no regex). */
  private static List<String> segments(String path) {
    int from = 0;
    int to = path.length();
    while (from < to && path.charAt(from) == '/') {
      from++;
    }
    while (to > from && path.charAt(to - 1) == '/') {
      to--;
    }
    return List.of(path.substring(from, to).split("/", -1));
  }

  private boolean matches(List<String> parts) {
    if (parts.size() != segments.size()) {
      return false;
    }
    for (int i = 0; i < parts.size(); i++) {
      String s = segments.get(i);
      boolean literal = !s.equals("{id}");
      if (literal ? !s.equals(parts.get(i)) : parts.get(i).isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
