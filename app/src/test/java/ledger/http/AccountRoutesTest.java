package ledger.http;

import static ledger.testing.ApiAssert.assertError;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import ledger.core.ResultCode;
import ledger.testing.Bodies;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestIds;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Every account endpoint and every error code, over a real socket to a real node (in-memory
 * journal). Each refusal is also checked to have changed nothing.
 */
public class AccountRoutesTest {
  @ClassRule
  public static final RunningNode node = RunningNode.inMemory();
  private static TestHttp http;

  @BeforeClass
  public static void connect() {
    http = node.http();
  }

  private static String newId() {
    return TestIds.next("acc");
  }

  private static Response create(String id, String extra) {
    return http.post("/accounts", Bodies.account(id, "USD", extra));
  }

  private static void assertNotCreated(String id) {
    assertError(http.get("/accounts/" + id), 404, ResultCode.ACCOUNT_NOT_FOUND);
  }

  // ---- create ---------------------------------------------------------------------------

  @Test
  public void createAnswers201WithEveryFieldOfTheContract() {
    String id = newId();
    Response r = create(id, ",\"metadata\":{\"owner\":\"alice\"}");
    assertEquals(r.body(), 201, r.status());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode a = r.json();
    List<String> fields = List.of("id", "currency", "status", "min_balance", "max_balance", "metadata",
        "debits_posted", "credits_posted", "debits_pending", "credits_pending", "balance", "available",
        "version", "created_at", "updated_at");
    List<String> actual = new java.util.ArrayList<>();
    a.fieldNames().forEachRemaining(actual::add);
    assertEquals(fields, actual);
    assertEquals(id, a.get("id").asText());
    assertEquals("USD", a.get("currency").asText());
    assertEquals("open", a.get("status").asText());
    assertEquals(0, a.get("min_balance").asLong());
    assertTrue(a.get("max_balance").isNull());
    assertEquals("alice", a.get("metadata").get("owner").asText());
    for (String counter : List.of("debits_posted", "credits_posted", "debits_pending", "credits_pending",
        "balance", "available")) {
      assertEquals(counter, 0, a.get(counter).asLong());
      assertTrue(counter + " is an integer", a.get(counter).isIntegralNumber());
    }
    assertEquals(1, a.get("version").asLong());
    assertTrue(a.get("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    assertEquals(a.get("created_at"), a.get("updated_at"));
  }

  @Test
  public void createAcceptsNullAndExplicitLimits() {
    String id = newId();
    Response r = create(id, ",\"min_balance\":null,\"max_balance\":9223372036854775807");
    assertEquals(201, r.status());
    assertTrue(r.json().get("min_balance").isNull());
    assertEquals(Long.MAX_VALUE, r.json().get("max_balance").asLong());
    Response overdraft = create(newId(), ",\"min_balance\":-500");
    assertEquals(-500, overdraft.json().get("min_balance").asLong());
  }

  @Test
  public void identicalCreateAnswers200WithTheStoredAccount() {
    String id = newId();
    Response first = create(id, ",\"metadata\":{\"a\":\"1\",\"b\":\"2\"}");
    Response again = create(id, ",\"metadata\":{\"b\":\"2\",\"a\":\"1\"}");
    assertEquals(201, first.status());
    assertEquals(200, again.status());
    assertEquals(first.json(), again.json());
  }

  @Test
  public void createWithADifferentFieldAnswers409NamingTheField() {
    String id = newId();
    create(id, ",\"min_balance\":-10,\"max_balance\":100,\"metadata\":{\"k\":\"v\"}");
    assertError(http.post("/accounts", "{\"id\":\"" + id + "\",\"currency\":\"EUR\"}"), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY);
    assertError(create(id, ",\"min_balance\":-11,\"max_balance\":100,\"metadata\":{\"k\":\"v\"}"), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_MIN_BALANCE);
    assertError(create(id, ",\"min_balance\":-10,\"max_balance\":null,\"metadata\":{\"k\":\"v\"}"), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_MAX_BALANCE);
    assertError(create(id, ",\"min_balance\":-10,\"max_balance\":100"), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
    assertEquals(1, http.get("/accounts/" + id).json().get("version").asLong());
  }

  @Test
  public void createRefusesBadIds() {
    for (String bad : List.of("\"\"", "\"-starts-with-dash\"", "\"has space\"", "\"" + "x".repeat(65) + "\"",
        "\"caf\u00e9\"", "42", "null", "[\"a\"]")) {
      Response r = http.post("/accounts", "{\"id\":" + bad + ",\"currency\":\"USD\"}");
      assertError(r, 400, ResultCode.INVALID_ID);
    }
    assertError(http.post("/accounts", "{\"currency\":\"USD\"}"), 400, ResultCode.INVALID_ID);
    assertEquals(201, create("x".repeat(64), "").status());
  }

  @Test
  public void createRefusesBadCurrencies() {
    for (String bad : List.of("\"usd\"", "\"U\"", "\"USD-1\"", "\"" + "A".repeat(17) + "\"", "1", "null")) {
      String id = newId();
      Response r = http.post("/accounts", "{\"id\":\"" + id + "\",\"currency\":" + bad + "}");
      assertError(r, 400, ResultCode.INVALID_CURRENCY);
      assertNotCreated(id);
    }
    assertError(http.post("/accounts", "{\"id\":\"" + newId() + "\"}"), 400, ResultCode.INVALID_CURRENCY);
    assertEquals(201, http.post("/accounts", "{\"id\":\"" + newId() + "\",\"currency\":\"POINTS_2\"}").status());
  }

  @Test
  public void createRefusesLimitsThatAreNotIntegers() {
    for (String bad : List.of("1.5", "1.0", "1e3", "\"5\"", "true", "{}", "9223372036854775808",
        "-9223372036854775809")) {
      String id = newId();
      assertError(create(id, ",\"min_balance\":" + bad), 400, ResultCode.INVALID_LIMIT);
      assertError(create(id, ",\"max_balance\":" + bad), 400, ResultCode.INVALID_LIMIT);
      assertNotCreated(id);
    }
  }

  @Test
  public void createRefusesLimitsThatCrossOrThatZeroBreaks() {
    String id = newId();
    assertError(create(id, ",\"min_balance\":-5,\"max_balance\":-10"), 400, ResultCode.INVALID_LIMIT);
    assertError(create(id, ",\"min_balance\":1"), 409, ResultCode.LIMIT_VIOLATED);
    assertError(create(id, ",\"min_balance\":null,\"max_balance\":-1"), 409, ResultCode.LIMIT_VIOLATED);
    assertError(create(id, ",\"max_balance\":-1"), 400, ResultCode.INVALID_LIMIT);
    assertNotCreated(id);
  }

  @Test
  public void createRefusesBadMetadata() {
    String tooMany = "{" + String.join(",", java.util.stream.IntStream.range(0, 17)
        .mapToObj(i -> "\"k" + i + "\":\"v\"").toList()) + "}";
    for (String bad : List.of("[]", "\"x\"", "{\"k\":1}", "{\"k\":null}", "{\"k\":{}}", tooMany,
        "{\"" + "k".repeat(65) + "\":\"v\"}", "{\"\":\"v\"}", "{\"k\":\"" + "v".repeat(257) + "\"}",
        "{\"k\":\"\\ud800\"}", "{\"k\":\"a\\udc00b\"}", "{\"\\ud800\":\"v\"}", "{\"k\":\"\\udbff\\ud800\"}")) {
      String id = newId();
      assertError(create(id, ",\"metadata\":" + bad), 400, ResultCode.INVALID_METADATA);
      assertNotCreated(id);
    }
    String sixteen = "{" + String.join(",", java.util.stream.IntStream.range(0, 16)
        .mapToObj(i -> "\"" + "k".repeat(60) + i + "\":\"" + "v".repeat(256) + "\"").toList()) + "}";
    assertEquals(201, create(newId(), ",\"metadata\":" + sixteen).status());
    // A whole surrogate pair is text (an emoji); half of one is not, also in a PATCH.
    String id = newId();
    Response pair = create(id, ",\"metadata\":{\"k\":\"\\ud83d\\ude00\"}");
    assertEquals(pair.body(), 201, pair.status());
    assertEquals("\ud83d\ude00", pair.json().get("metadata").get("k").asText());
    assertError(http.patch("/accounts/" + id, "{\"metadata\":{\"k\":\"\\ud800\"}}"), 400,
        ResultCode.INVALID_METADATA);
    assertEquals(1, http.get("/accounts/" + id).json().get("version").asLong());
  }

  @Test
  public void createRefusesMalformedBodies() {
    String id = newId();
    for (String bad : List.of("", "{", "{\"id\":\"" + id + "\",", "not json", "[]", "\"a string\"", "null",
        "{\"id\":\"" + id + "\",\"currency\":\"USD\"} trailing",
        "{\"id\":\"" + id + "\",\"id\":\"" + id + "\",\"currency\":\"USD\"}")) {
      assertError(http.post("/accounts", bad), 400, ResultCode.MALFORMED_JSON);
    }
    assertNotCreated(id);
  }

  /** A body that would cost seconds or a deep recursion to parse is refused by a linear scan first. */
  @Test
  public void bodiesTooDeepOrWithHugeNumbersOrStringsAreRefusedBeforeParsing() {
    String id = newId();
    Map<String, String> bodies = Map.of(
        "{\"id\":\"" + id + "\",\"currency\":\"USD\",\"min_balance\":" + "9".repeat(500_000) + "}",
        "a JSON number longer than 32 characters",
        "{\"id\":\"" + id + "\",\"currency\":\"USD\",\"metadata\":" + "[".repeat(300_000) + "]".repeat(300_000) + "}",
        "JSON nested deeper than 16",
        "{\"id\":\"" + id + "\",\"currency\":\"USD\",\"metadata\":{\"k\":\"" + "v".repeat(5000) + "\"}}",
        "a JSON string longer than 4096 characters");
    bodies.forEach((body, message) -> {
      Response r = http.post("/accounts", body);
      assertError(r, 400, ResultCode.MALFORMED_JSON);
      assertTrue(r.body(), r.json().get("error").get("message").asText().contains(message));
    });
    assertNotCreated(id);
    // At the limits: 16 levels (the body, metadata, 14 arrays) and a 32-character number still
    // parse (and then fail as fields).
    String deep = "[".repeat(14) + "]".repeat(14);
    assertError(create(id, ",\"metadata\":{\"k\":" + deep + "}"), 400, ResultCode.INVALID_METADATA);
    assertError(create(id, ",\"min_balance\":" + "1".repeat(32)), 400, ResultCode.INVALID_LIMIT);
  }

  @Test
  public void createRefusesUnknownFieldsBeforeAnythingElse() {
    String id = newId();
    assertError(create(id, ",\"balance\":100"), 400, ResultCode.UNKNOWN_FIELD);
    assertError(http.post("/accounts", "{\"id\":\"-bad\",\"Currency\":\"USD\"}"), 400, ResultCode.UNKNOWN_FIELD);
    assertNotCreated(id);
  }

  @Test
  public void createRefusesOtherContentTypes() {
    String id = newId();
    String body = "{\"id\":\"" + id + "\",\"currency\":\"USD\"}";
    assertError(http.send("POST", "/accounts", body, "text/plain"), 415, ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(http.send("POST", "/accounts", body, "application/x-www-form-urlencoded"), 415,
        ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertNotCreated(id);
  }

  @Test
  public void bodiesOverOneMebibyteAre413KnownLengthOrChunked() {
    String id = newId();
    String padding = " ".repeat(1024 * 1024);
    String body = "{\"id\":\"" + id + "\",\"currency\":\"USD\"}" + padding;
    assertError(http.post("/accounts", body), 413, ResultCode.BODY_TOO_LARGE);
    HttpRequest.Builder chunked = HttpRequest.newBuilder(http.uri("/accounts"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new java.io.ByteArrayInputStream(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    assertError(http.send(chunked), 413, ResultCode.BODY_TOO_LARGE);
    assertNotCreated(id);
    // Just under the limit is read (and then parsed).
    String fits = "{\"id\":\"" + id + "\",\"currency\":\"USD\"}";
    assertEquals(201, http.post("/accounts", fits + " ".repeat(1024 * 1024 - fits.length())).status());
  }

  // ---- read -----------------------------------------------------------------------------

  @Test
  public void getAnswersTheAccountOr404OrInvalidId() {
    String id = newId();
    Response created = create(id, "");
    Response got = http.get("/accounts/" + id);
    assertEquals(200, got.status());
    assertEquals(created.json(), got.json());
    assertError(http.get("/accounts/" + newId()), 404, ResultCode.ACCOUNT_NOT_FOUND);
    assertError(http.get("/accounts/" + "y".repeat(65)), 400, ResultCode.INVALID_ID);
    assertError(http.get("/accounts/-x"), 400, ResultCode.INVALID_ID);
    assertError(http.post("/accounts/-x/lock"), 400, ResultCode.INVALID_ID);
  }

  // ---- status changes -------------------------------------------------------------------

  @Test
  public void lockUnlockCloseFollowTheLifecycle() {
    String id = newId();
    create(id, "");
    Response locked = http.post("/accounts/" + id + "/lock");
    assertEquals(200, locked.status());
    assertEquals("locked", locked.json().get("status").asText());
    assertEquals(2, locked.json().get("version").asLong());
    assertError(http.post("/accounts/" + id + "/lock"), 409, ResultCode.INVALID_STATUS_TRANSITION);
    Response unlocked = http.post("/accounts/" + id + "/unlock");
    assertEquals("open", unlocked.json().get("status").asText());
    assertEquals(3, unlocked.json().get("version").asLong());
    assertError(http.post("/accounts/" + id + "/unlock"), 409, ResultCode.INVALID_STATUS_TRANSITION);
    Response closed = http.post("/accounts/" + id + "/close");
    assertEquals(200, closed.status());
    assertEquals("closed", closed.json().get("status").asText());
    assertEquals(4, closed.json().get("version").asLong());
    assertError(http.post("/accounts/" + id + "/lock"), 409, ResultCode.INVALID_STATUS_TRANSITION);
    assertError(http.post("/accounts/" + id + "/unlock"), 409, ResultCode.INVALID_STATUS_TRANSITION);
    assertError(http.post("/accounts/" + id + "/close"), 409, ResultCode.INVALID_STATUS_TRANSITION);
    assertError(http.patch("/accounts/" + id, "{\"metadata\":{}}"), 409, ResultCode.ACCOUNT_CLOSED);
    assertEquals(4, http.get("/accounts/" + id).json().get("version").asLong());
  }

  @Test
  public void statusChangesOnMissingAccountsAre404() {
    String id = newId();
    for (String action : List.of("lock", "unlock", "close")) {
      assertError(http.post("/accounts/" + id + "/" + action), 404, ResultCode.ACCOUNT_NOT_FOUND);
    }
    assertError(http.patch("/accounts/" + id, "{\"min_balance\":null}"), 404, ResultCode.ACCOUNT_NOT_FOUND);
    assertNotCreated(id);
  }

  // ---- PATCH ----------------------------------------------------------------------------

  @Test
  public void patchChangesOnlyTheFieldsSent() {
    String id = newId();
    create(id, ",\"metadata\":{\"a\":\"1\"}");
    Response r = http.patch("/accounts/" + id, "{\"max_balance\":1000}");
    assertEquals(200, r.status());
    assertEquals(0, r.json().get("min_balance").asLong());
    assertEquals(1000, r.json().get("max_balance").asLong());
    assertEquals("1", r.json().get("metadata").get("a").asText());
    assertEquals(2, r.json().get("version").asLong());
    Response r2 = http.patch("/accounts/" + id, "{\"min_balance\":null,\"metadata\":{}}");
    assertTrue(r2.json().get("min_balance").isNull());
    assertEquals(0, r2.json().get("metadata").size());
    assertEquals(3, r2.json().get("version").asLong());
    Response same = http.patch("/accounts/" + id, "{}");
    assertEquals(200, same.status());
    assertEquals("no change, no new version", 3, same.json().get("version").asLong());
  }

  @Test
  public void patchRefusalsChangeNothing() {
    String id = newId();
    create(id, "");
    assertError(http.patch("/accounts/" + id, "{\"min_balance\":1}"), 409, ResultCode.LIMIT_VIOLATED);
    assertError(http.patch("/accounts/" + id, "{\"max_balance\":-1,\"min_balance\":null}"), 409,
        ResultCode.LIMIT_VIOLATED);
    assertError(http.patch("/accounts/" + id, "{\"max_balance\":-1}"), 400, ResultCode.INVALID_LIMIT);
    assertError(http.patch("/accounts/" + id, "{\"min_balance\":0.5}"), 400, ResultCode.INVALID_LIMIT);
    assertError(http.patch("/accounts/" + id, "{\"max_balance\":\"10\"}"), 400, ResultCode.INVALID_LIMIT);
    assertError(http.patch("/accounts/" + id, "{\"currency\":\"EUR\"}"), 400, ResultCode.UNKNOWN_FIELD);
    assertError(http.patch("/accounts/" + id, "{\"metadata\":[]}"), 400, ResultCode.INVALID_METADATA);
    assertError(http.patch("/accounts/" + id, "{\"metadata\""), 400, ResultCode.MALFORMED_JSON);
    assertError(http.send("PATCH", "/accounts/" + id, "{}", "text/plain"), 415, ResultCode.UNSUPPORTED_MEDIA_TYPE);
    JsonNode after = http.get("/accounts/" + id).json();
    assertEquals(1, after.get("version").asLong());
    assertEquals(0, after.get("min_balance").asLong());
    assertNull(after.get("max_balance").textValue());
  }

  // ---- routing and infrastructure -------------------------------------------------------

  @Test
  public void unknownPathsAndMethodsAreJsonErrors() {
    assertError(http.get("/nothing-here"), 404, ResultCode.NOT_FOUND);
    assertError(http.get("/accounts/a/b/c"), 404, ResultCode.NOT_FOUND);
    assertError(http.send("DELETE", "/accounts/abc", "", null), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("PUT", "/accounts", "{}", "application/json"), 405, ResultCode.METHOD_NOT_ALLOWED);
  }

  @Test
  public void anUnknownOutcomeIs503WithRetryAfter() {
    var response = RouteSupport.failure(new java.util.concurrent.CompletionException(new TimeoutException("ask")));
    assertEquals(503, response.status().intValue());
    assertEquals("1", response.getHeader("Retry-After").orElseThrow().value());
    var internal = RouteSupport.failure(new IllegalStateException("secret detail"));
    assertEquals(500, internal.status().intValue());
    assertFalse(internal.entity().toString().contains("secret detail"));
  }
}
