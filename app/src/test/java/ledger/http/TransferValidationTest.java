package ledger.http;

import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.fields;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
import static ledger.testing.Bodies.pending;
import static ledger.testing.Bodies.raw;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;
import org.junit.Test;

/** Validation (400, 413, 415): nothing is persisted, and the first problem in reading order is reported. */
public class TransferValidationTest extends TransferTestSupport {
  @Test
  public void invalidIdsAre400() {
    String op = operator();
    String a = usd();
    List<String> bad = List.of("\"\"", "\"-dash\"", "\"has space\"", "\"slash/\"", "\"" + "x".repeat(65) + "\"",
        "\"caf\u00e9\"", "42", "true", "null", "[\"a\"]", "{}");
    for (String value : bad) {
      Map<String, String> f = fields("ignored", op, a);
      f.put("id", value);
      assertError(transfer(raw(f)), 400, ResultCode.INVALID_ID);
    }
    Map<String, String> noId = fields("ignored", op, a);
    noId.put("id", null);
    assertError(transfer(raw(noId)), 400, ResultCode.INVALID_ID);
    assertError(transfer(multi("x", "", leg(op, a, 1)).replace("\"id\":\"x\",", "")), 400, ResultCode.INVALID_ID);

    for (String field : List.of("debit_account_id", "credit_account_id")) {
      for (String value : bad) {
        assertFieldInvalid(op, a, field, value, ResultCode.INVALID_ID);
      }
      assertFieldInvalid(op, a, field, null, ResultCode.INVALID_ID);
      // ... and inside a leg
      String legId = newId("t");
      Map<String, String> l = fields("x", op, a);
      l.remove("id");
      l.put(field, "\"-bad\"");
      assertInvalid(multi(legId, "", leg(op, a, 1), raw(l)), ResultCode.INVALID_ID, legId);
    }
    // The longest id is fine.
    String longest = "L" + "x".repeat(63);
    created(oneLeg(longest, op, a, 1, ""));
    awaitCounters(a, 0, 1, 0, 0);
  }

  @Test
  public void invalidAmountsAre400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("0", "-1", "-5", "1.0", "1.5", "1e3", "\"5\"", "9223372036854775808",
        "18446744073709551616", "null", "true", "[]", "{}")) {
      assertFieldInvalid(op, a, "amount", value, ResultCode.INVALID_AMOUNT);
      String legId = newId("t");
      assertInvalid(multi(legId, "", leg(op, a, 1), leg(op, a, 1).replace("\"amount\":1", "\"amount\":" + value)),
          ResultCode.INVALID_AMOUNT, legId);
    }
    assertFieldInvalid(op, a, "amount", null, ResultCode.INVALID_AMOUNT);
    awaitUntouched(a, op);
  }

  @Test
  public void invalidCurrenciesAre400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("\"usd\"", "\"U\"", "\"USD-1\"", "\"" + "A".repeat(17) + "\"", "\"\"", "1",
        "null")) {
      assertFieldInvalid(op, a, "currency", value, ResultCode.INVALID_CURRENCY);
      String legId = newId("t");
      assertInvalid(multi(legId, "", leg(op, a, 1).replace("\"USD\"", value)), ResultCode.INVALID_CURRENCY, legId);
    }
    assertFieldInvalid(op, a, "currency", null, ResultCode.INVALID_CURRENCY);
    awaitUntouched(a);
  }

  @Test
  public void sameDebitAndCreditAccountIs400() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    assertInvalid(oneLeg(id, a, a, 1, ""), ResultCode.ACCOUNTS_MUST_BE_DIFFERENT, id);
    String legId = newId("t");
    assertInvalid(multi(legId, "", leg(op, a, 1), leg(a, a, 1)), ResultCode.ACCOUNTS_MUST_BE_DIFFERENT, legId);
    awaitUntouched(a, op);
  }

  @Test
  public void legsThatAreNotAnArrayOfOneToSixteenAre400InvalidLegs() {
    for (String value : List.of("[]", "{}", "\"x\"", "1", "null")) {
      String id = newId("t");
      assertInvalid("{\"id\":\"" + id + "\",\"legs\":" + value + "}", ResultCode.INVALID_LEGS, id);
    }
  }

  @Test
  public void invalidTimeoutsAre400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("0", "-1", "1.5", "1.0", "1e2", "\"10\"", "true", "2592001",
        "9223372036854775808")) {
      String id = newId("t");
      assertInvalid(oneLeg(id, op, a, 1, ",\"pending\":true,\"timeout_seconds\":" + value),
          ResultCode.INVALID_TIMEOUT, id);
    }
    // The configured maximum (30 days) itself is fine.
    String id = newId("t");
    assertEquals(2592000, created(pending(id, op, a, 1, 2592000)).get("timeout_seconds").asLong());
    assertEquals(200, voidPending(id).status());
    awaitUntouched(a);
  }

  @Test
  public void aTimeoutWithoutPendingIs400() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    assertInvalid(oneLeg(id, op, a, 1, ",\"timeout_seconds\":10"), ResultCode.TIMEOUT_REQUIRES_PENDING, id);
    assertInvalid(oneLeg(id, op, a, 1, ",\"pending\":false,\"timeout_seconds\":10"),
        ResultCode.TIMEOUT_REQUIRES_PENDING, id);
    assertInvalid(multi(id, ",\"timeout_seconds\":10", leg(op, a, 1)), ResultCode.TIMEOUT_REQUIRES_PENDING, id);
  }

  @Test
  public void pendingThatIsNotABooleanIs400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("\"true\"", "1", "0", "null", "{}")) {
      String id = newId("t");
      assertInvalid(oneLeg(id, op, a, 1, ",\"pending\":" + value), ResultCode.INVALID_PENDING, id);
    }
    awaitUntouched(a);
  }

  @Test
  public void invalidMetadataIs400() {
    String op = operator();
    String a = usd();
    String tooMany = IntStream.range(0, 17).mapToObj(i -> "\"k" + i + "\":\"v\"")
        .collect(Collectors.joining(",", "{", "}"));
    for (String value : List.of("[]", "\"x\"", "1", "null", "{\"k\":1}", "{\"k\":null}", "{\"k\":{}}", tooMany,
        "{\"" + "k".repeat(65) + "\":\"v\"}", "{\"\":\"v\"}", "{\"k\":\"" + "v".repeat(257) + "\"}")) {
      String id = newId("t");
      assertInvalid(oneLeg(id, op, a, 1, ",\"metadata\":" + value), ResultCode.INVALID_METADATA, id);
    }
    String sixteen = IntStream.range(0, 16).mapToObj(i -> "\"" + "k".repeat(62) + i + "\":\"" + "v".repeat(256) + "\"")
        .collect(Collectors.joining(",", "{", "}"));
    assertEquals(16, created(oneLeg(newId("t"), op, a, 1, ",\"metadata\":" + sixteen)).get("metadata").size());
    awaitCounters(a, 0, 1, 0, 0);
  }

  @Test
  public void unknownFieldsAre400() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    assertInvalid(oneLeg(id, op, a, 1, ",\"status\":\"posted\""), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(oneLeg(id, op, a, 1, ",\"Amount\":1"), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(oneLeg(id, op, a, 1, ",\"posted_amount\":1"), ResultCode.UNKNOWN_FIELD, id);
    // One-leg fields mixed into the multi-leg form.
    assertInvalid(multi(id, ",\"amount\":1", leg(op, a, 1)), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(multi(id, ",\"debit_account_id\":\"" + op + "\"", leg(op, a, 1)), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(multi(id, ",\"currency\":\"USD\"", leg(op, a, 1)), ResultCode.UNKNOWN_FIELD, id);
    // Unknown fields inside a leg, including transfer-level ones.
    assertInvalid(multi(id, "", leg(op, a, 1).replace("}", ",\"note\":\"x\"}")), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(multi(id, "", leg(op, a, 1).replace("}", ",\"id\":\"x\"}")), ResultCode.UNKNOWN_FIELD, id);
    assertInvalid(multi(id, "", leg(op, a, 1).replace("}", ",\"pending\":true}")), ResultCode.UNKNOWN_FIELD, id);
    // Unknown fields come before any other check.
    assertInvalid("{\"id\":\"-bad\",\"amount\":0,\"extra\":1}", ResultCode.UNKNOWN_FIELD, id);
    awaitUntouched(a);
  }

  @Test
  public void malformedBodiesAre400() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String good = oneLeg(id, op, a, 1, "");
    for (String bad : List.of("", " ", "{", "not json", "[]", "\"a string\"", "42", "null", good + " trailing",
        good + "{}", good.replace("\"amount\":1", "\"amount\":1,\"amount\":1"),
        good.replace("\"amount\":1", "\"amount\":01"), good.replace("}", ",}"))) {
      assertError(transfer(bad), 400, ResultCode.MALFORMED_JSON);
    }
    assertNotPersisted(id);
    awaitUntouched(a);
  }

  @Test
  public void otherContentTypesAre415() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String body = oneLeg(id, op, a, 1, "");
    assertError(http.send("POST", "/transfers", body, "text/plain"), 415, ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(http.send("POST", "/transfers", body, "application/x-www-form-urlencoded"), 415,
        ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(http.send("POST", "/transfers", body, null), 415, ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertError(http.send("POST", "/transfers/batch", "{\"transfers\":[" + body + "]}", "text/plain"), 415,
        ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertNotPersisted(id);
    awaitUntouched(a);
  }

  @Test
  public void bodiesOverOneMebibyteAre413() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String body = oneLeg(id, op, a, 1, "") + " ".repeat(1024 * 1024);
    assertError(transfer(body), 413, ResultCode.BODY_TOO_LARGE);
    HttpRequest.Builder chunked = HttpRequest.newBuilder(http.uri("/transfers"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))));
    assertError(http.send(chunked), 413, ResultCode.BODY_TOO_LARGE);
    assertError(http.post("/transfers/batch", "{\"transfers\":[" + oneLeg(id, op, a, 1, "") + "]}"
        + " ".repeat(1024 * 1024)), 413, ResultCode.BODY_TOO_LARGE);
    assertNotPersisted(id);
    awaitUntouched(a);
  }

  /**
   * A valid one-leg transfer with {@code field} set to the raw JSON {@code value} (null: left
   * out) is 400 {@code code}, and is not persisted.
   */
  private static void assertFieldInvalid(String debit, String credit, String field, String value, ResultCode code) {
    String id = newId("t");
    Map<String, String> f = fields(id, debit, credit);
    f.put(field, value);
    assertInvalid(raw(f), code, id);
  }

  // ---- reading order ------------------------------------------------------------------------

  /**
   * ResultCode's contract: "when a request is wrong in several ways, the first applicable code
   * in this order is the one reported" (INVALID_CURRENCY before INVALID_AMOUNT, INVALID_METADATA
   * before INVALID_LEGS / INVALID_PENDING / TOO_MANY_LEGS / ACCOUNTS_MUST_BE_DIFFERENT /
   * INVALID_TIMEOUT, INVALID_TIMEOUT before TIMEOUT_REQUIRES_PENDING, INVALID_ID before
   * TOO_MANY_LEGS). TransferParser checks in another order. Collects every mismatch.
   */
  @Test
  public void validationErrorsAreReportedInReadingOrder() {
    String op = operator();
    String a = usd();
    List<String> mismatches = new ArrayList<>();
    String badMeta = ",\"metadata\":[]";
    Map<String, ResultCode> cases = new LinkedHashMap<>();
    Map<String, String> f = fields(newId("t"), op, a);
    f.put("amount", "0");
    f.put("currency", "\"usd\"");
    cases.put(raw(f), ResultCode.INVALID_AMOUNT);
    cases.put(oneLeg(newId("t"), op, a, 1, ",\"pending\":\"yes\"" + badMeta), ResultCode.INVALID_PENDING);
    cases.put(oneLeg(newId("t"), a, a, 1, badMeta), ResultCode.ACCOUNTS_MUST_BE_DIFFERENT);
    cases.put(multi(newId("t"), badMeta), ResultCode.INVALID_LEGS);
    cases.put(oneLeg(newId("t"), op, a, 1, ",\"pending\":true,\"timeout_seconds\":0" + badMeta),
        ResultCode.INVALID_TIMEOUT);
    cases.put(oneLeg(newId("t"), op, a, 1, ",\"timeout_seconds\":0"), ResultCode.TIMEOUT_REQUIRES_PENDING);
    String[] seventeenBad = IntStream.rangeClosed(1, 17).mapToObj(i -> leg(op, "-bad", i)).toArray(String[]::new);
    cases.put(multi(newId("t"), "", seventeenBad), ResultCode.TOO_MANY_LEGS);
    cases.put(multi("-bad", "", leg(op, a, 1).replace("}", ",\"note\":\"x\"}")), ResultCode.INVALID_ID);
    cases.forEach((body, expected) -> {
      Response r = transfer(body);
      if (r.status() != 400 || !expected.wire().equals(r.errorCode())) {
        mismatches.add("expected " + expected.wire() + ", got " + r.status() + " " + r.errorCode() + " for "
            + (body.length() > 160 ? body.substring(0, 160) + "..." : body));
      }
    });
    if (!mismatches.isEmpty()) {
      fail(String.join("\n", mismatches));
    }
  }
}
