package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import ledger.core.ResultCode;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The API's description against the server (a node on the test Cassandra): GET /openapi.yaml
 * describes exactly the routes of {@link ApiRoute}; every such route answers, with a status the
 * description lists for it and, for an error, a code that the description of that status names;
 * and every other method on those paths, and every other path, answers 405 or 404.
 */
public class OpenApiTest {
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> CODES = Arrays.stream(ResultCode.values()).map(ResultCode::wire)
      .collect(Collectors.toSet());
  private static final Pattern WORD = Pattern.compile("[a-z][a-z0-9_]+");
  @ClassRule
  public static final RunningNode node = RunningNode.onCassandra();
  private static TestHttp http;
  private static JsonNode api;

  @BeforeClass
  public static void start() throws Exception {
    http = node.http();
    Response r = http.get("/openapi.yaml");
    assertEquals(200, r.status());
    assertTrue(r.headers().firstValue("Content-Type").orElse(""), r.headers().firstValue("Content-Type")
        .orElse("").startsWith("application/yaml"));
    api = new ObjectMapper(new YAMLFactory()).readTree(r.body());
  }

  @Test
  public void theDescriptionHasExactlyTheRoutesOfTheServer() {
    Set<String> described = new TreeSet<>();
    api.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
      if (METHODS.contains(m.toUpperCase())) {
        described.add(m.toUpperCase() + " " + p.getKey());
      }
    }));
    Set<String> served = Arrays.stream(ApiRoute.values()).map(r -> r.method() + " " + r.template())
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(served, described);
  }

  /** A request per route that it must answer (an id that does not exist, an empty or bad body). */
  @Test
  public void everyRouteAnswersWithAStatusAndCodeItsDescriptionLists() {
    List<String> probed = new java.util.ArrayList<>();
    for (ApiRoute route : ApiRoute.values()) {
      for (String id : List.of("oa-missing", "-bad")) {
        if (id.equals("-bad") && !route.template().contains("{id}")) {
          continue;
        }
        String path = route.template().replace("{id}", id);
        for (String body : route.method().equals("GET") ? List.of("") : List.of("{}", "{\"x\":1}", "[")) {
          Response r = http.send(route.method(), path, body.isEmpty() ? null : body,
              body.isEmpty() ? null : "application/json");
          check(route, r);
          probed.add(route + " " + r.status());
        }
      }
    }
    // Successes too: an account created, read, listed; a transfer refused (422) and read.
    check(ApiRoute.ACCOUNT_CREATE, http.post("/accounts", "{\"id\":\"oa-1\",\"currency\":\"USD\"}"));
    check(ApiRoute.ACCOUNT_GET, http.get("/accounts/oa-1"));
    check(ApiRoute.TRANSFER_CREATE, http.post("/transfers", "{\"id\":\"oa-t\",\"debit_account_id\":\"oa-1\","
        + "\"credit_account_id\":\"oa-2\",\"amount\":5,\"currency\":\"USD\"}"));
    check(ApiRoute.TRANSFER_GET, http.get("/transfers/oa-t"));
    check(ApiRoute.ACCOUNT_ENTRIES, http.get("/accounts/oa-1/entries?min_version=1"));
    assertTrue(probed.toString(), probed.size() > 60);
  }

  /** Bearer keys described once and required everywhere; each route's scope as ApiRoute has it. */
  @Test
  public void everyRouteNeedsABearerKeyAndNamesItsScope() {
    assertEquals("bearer", api.path("components").path("securitySchemes").path("bearer").path("scheme").asText());
    assertTrue(api.path("security").toString(), api.path("security").get(0).has("bearer"));
    TestHttp anonymous = http.withAuthorization(null);
    for (ApiRoute route : ApiRoute.values()) {
      JsonNode op = api.get("paths").get(route.template()).get(route.method().toLowerCase());
      assertEquals(route.toString(), route.scope().wire(), op.path("x-scope").asText());
      assertTrue(route + ": 401 described", codesIn(resolve(op.get("responses").get("401"))).contains("unauthenticated"));
      assertTrue(route + ": 403 described", codesIn(resolve(op.get("responses").get("403"))).contains("forbidden"));
      Response r = anonymous.send(route.method(), route.template().replace("{id}", "oa-x"), null, null);
      assertEquals(route + " " + r.body(), 401, r.status());
      check(route, r);
    }
  }

  private static void check(ApiRoute route, Response r) {
    JsonNode op = api.get("paths").get(route.template()).get(route.method().toLowerCase());
    JsonNode response = resolve(op.get("responses").get(Integer.toString(r.status())));
    String what = route + " answered " + r.status() + " " + r.body();
    assertTrue(what + ": status not described", response != null);
    String code = r.body().startsWith("{") ? r.errorCode() : null;
    assertTrue(what + ": not an answer of the API (404/405 of the router)",
        !"not_found".equals(code) && !"method_not_allowed".equals(code));
    if (r.status() >= 400) {
      assertTrue(what + ": code not named in the description of " + r.status(), codesIn(response).contains(code));
    }
  }

  @Test
  public void everyOtherMethodAndPathIsNotFoundOrNotAllowed() {
    Set<String> served = new HashSet<>();
    for (ApiRoute r : ApiRoute.values()) {
      served.add(r.method() + " " + r.template());
    }
    for (ApiRoute r : ApiRoute.values()) {
      String path = r.template().replace("{id}", "oa-x");
      for (String method : METHODS) {
        if (served.contains(method + " " + r.template())
            || ApiRoute.of(method, path).isPresent()) {
          continue;
        }
        boolean body = !method.equals("GET");
        Response answer = http.send(method, path, body ? "{}" : null, body ? "application/json" : null);
        assertTrue(method + " " + path + " answered " + answer.status() + " " + answer.body(),
            answer.status() == 405 && answer.errorCode().equals("method_not_allowed")
                || answer.status() == 404 && answer.errorCode().equals("not_found"));
      }
    }
    for (String path : List.of("/", "/nope", "/accounts/x/nope", "/accounts/x/entries/1", "/transfers/x/nope",
        "/recon/nope", "/metrics/x", "/openapi.json")) {
      Response answer = http.get(path);
      assertEquals(path + " " + answer.body(), 404, answer.status());
      assertEquals("not_found", answer.errorCode());
    }
  }

  private static JsonNode resolve(JsonNode node) {
    if (node != null && node.has("$ref")) {
      String[] ref = node.get("$ref").asText().replaceFirst("^#/", "").split("/");
      JsonNode target = api;
      for (String part : ref) {
        target = target.get(part);
      }
      return target;
    }
    return node;
  }

  /** The error codes a response's description names (words that are ResultCode wire names). */
  private static Set<String> codesIn(JsonNode response) {
    Set<String> codes = new HashSet<>();
    Matcher m = WORD.matcher(response.path("description").asText());
    while (m.find()) {
      if (CODES.contains(m.group())) {
        codes.add(m.group());
      }
    }
    return codes;
  }
}
