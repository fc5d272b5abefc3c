package ledger.http;

import java.util.List;
import java.util.Optional;

/**
 * Every route of the HTTP API, once: the request metrics label requests by it, and
 * OpenApiTest proves the server answers exactly these (and openapi.yaml describes exactly
 * these). A path template's {@code {id}} stands for one path segment; a route with a literal
 * segment is listed before an {@code {id}} route of the same shape, which it takes precedence over.
 */
public enum ApiRoute {
  ACCOUNTS_LIST("GET", "/accounts"),
  ACCOUNT_CREATE("POST", "/accounts"),
  ACCOUNT_GET("GET", "/accounts/{id}"),
  ACCOUNT_UPDATE("PATCH", "/accounts/{id}"),
  ACCOUNT_LOCK("POST", "/accounts/{id}/lock"),
  ACCOUNT_UNLOCK("POST", "/accounts/{id}/unlock"),
  ACCOUNT_CLOSE("POST", "/accounts/{id}/close"),
  ACCOUNT_ENTRIES("GET", "/accounts/{id}/entries"),
  ACCOUNT_BALANCE("GET", "/accounts/{id}/balance"),
  ACCOUNT_TRANSFERS("GET", "/accounts/{id}/transfers"),
  TRANSFER_CREATE("POST", "/transfers"),
  TRANSFER_BATCH("POST", "/transfers/batch"),
  TRANSFER_GET("GET", "/transfers/{id}"),
  TRANSFER_POST("POST", "/transfers/{id}/post"),
  TRANSFER_VOID("POST", "/transfers/{id}/void"),
  RECON_LATEST("GET", "/recon"),
  RECON_RUN("POST", "/recon/run"),
  METRICS("GET", "/metrics"),
  OPENAPI("GET", "/openapi.yaml");

  /** The label of a path that no route has. */
  public static final String OTHER = "other";

  private final String method;
  private final String template;
  private final List<String> segments;

  ApiRoute(String method, String template) {
    this.method = method;
    this.template = template;
    this.segments = List.of(template.substring(1).split("/"));
  }

  public String method() {
    return method;
  }

  public String template() {
    return template;
  }

  /** The route of this method and path, if the API has one. */
  public static Optional<ApiRoute> of(String method, String path) {
    List<String> parts = segments(path);
    for (ApiRoute r : values()) {
      if (r.method.equals(method) && r.matches(parts)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The template a path belongs to whatever its method (ids never become metric labels), else OTHER. */
  public static String template(String path) {
    List<String> parts = segments(path);
    for (ApiRoute r : values()) {
      if (r.matches(parts)) {
        return r.template;
      }
    }
    return OTHER;
  }

  private static List<String> segments(String path) {
    return List.of(path.replaceAll("^/+|/+$", "").split("/", -1));
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
