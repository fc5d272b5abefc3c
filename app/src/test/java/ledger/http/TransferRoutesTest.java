package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import ledger.LedgerNode;
import ledger.core.ResultCode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Every transfer endpoint and every error code of docs/api.md "Transfers" (and the README decisions
 * where docs/api.md is silent), over a real socket to a real node (in-memory journal). Balances are
 * checked exactly on the accounts (the post to the accounts is asynchronous: they are polled
 * until their counters settle); every refusal is checked to have persisted nothing.
 */
public class TransferRoutesTest {
  private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
  private static final Set<String> TRANSFER_FIELDS = Set.of("id", "legs", "status", "rejection", "pending",
      "timeout_seconds", "expires_at", "metadata", "created_at", "decided_at", "posted_amount");
  private static final long MAX = Long.MAX_VALUE;
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private static LedgerNode node;
  private static TestHttp http;
  private static final AtomicInteger ids = new AtomicInteger();

  @BeforeClass
  public static void start() {
    node = LedgerNode.start(TestNodes.inMemoryNode(), Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
  }

  @AfterClass
  public static void stop() {
    node.stop(Duration.ofSeconds(30));
  }

  // ---- helpers --------------------------------------------------------------------------

  private static String newId(String prefix) {
    return prefix + "-" + ids.incrementAndGet();
  }

  private static String account(String currency, String extra) {
    String id = newId("acc");
    Response r = http.post("/accounts", "{\"id\":\"" + id + "\",\"currency\":\"" + currency + "\"" + extra + "}");
    assertEquals(r.body(), 201, r.status());
    return id;
  }

  /** A USD account with the default limits (min 0, no max). */
  private static String usd() {
    return account("USD", "");
  }

  /** A USD operator account: it may go negative without bound. */
  private static String operator() {
    return account("USD", ",\"min_balance\":null");
  }

  /** A USD account holding {@code amount}, credited by a fresh operator account. */
  private static String funded(long amount) {
    String a = usd();
    assertEquals(201, transfer(oneLeg(newId("fund"), operator(), a, amount, "")).status());
    awaitCounters(a, 0, amount, 0, 0);
    return a;
  }

  private static String leg(String debit, String credit, long amount, String currency) {
    return "{\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit + "\",\"amount\":" + amount
        + ",\"currency\":\"" + currency + "\"}";
  }

  private static String leg(String debit, String credit, long amount) {
    return leg(debit, credit, amount, "USD");
  }

  private static String oneLeg(String id, String debit, String credit, long amount, String extra) {
    String l = leg(debit, credit, amount);
    return "{\"id\":\"" + id + "\"," + l.substring(1, l.length() - 1) + extra + "}";
  }

  private static String multi(String id, String extra, String... legs) {
    return "{\"id\":\"" + id + "\",\"legs\":[" + String.join(",", legs) + "]" + extra + "}";
  }

  /** A one-leg body given as raw JSON values by field (a null value leaves the field out). */
  private static String raw(Map<String, String> fields) {
    return fields.entrySet().stream().filter(e -> e.getValue() != null)
        .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static Map<String, String> fields(String id, String debit, String credit) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("id", "\"" + id + "\"");
    f.put("debit_account_id", "\"" + debit + "\"");
    f.put("credit_account_id", "\"" + credit + "\"");
    f.put("amount", "10");
    f.put("currency", "\"USD\"");
    return f;
  }

  private static Response transfer(String body) {
    return http.post("/transfers", body);
  }

  private static JsonNode json(String text) {
    try {
      return TestHttp.JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static void assertNoStackTrace(Response r) {
    assertFalse("no stack trace leaks: " + r.body(), r.body().contains("\tat ") || r.body().contains("Exception"));
  }

  private static void assertError(Response r, int status, ResultCode code) {
    assertEquals(r.body(), status, r.status());
    assertEquals(r.body(), code.wire(), r.errorCode());
    assertTrue("error has a message", r.json().path("error").path("message").isTextual());
    assertNoStackTrace(r);
  }

  private static void assertNotPersisted(String transferId) {
    assertError(http.get("/transfers/" + transferId), 404, ResultCode.TRANSFER_NOT_FOUND);
  }

  /** A 400 with {@code code}, after which the transfer does not exist. */
  private static void assertInvalid(String body, ResultCode code, String transferId) {
    assertError(transfer(body), 400, code);
    assertNotPersisted(transferId);
  }

  /** The exact field set of docs/api.md's Transfer, and the shape of its times. */
  private static void assertTransferShape(JsonNode t) {
    assertEquals(t.toString(), new TreeSet<>(TRANSFER_FIELDS), fieldNames(t));
    assertTrue(t.toString(), t.get("created_at").asText().matches(TIME));
    assertTrue(t.toString(), t.get("decided_at").asText().matches(TIME));
    assertTrue(t.toString(), t.get("expires_at").isNull() || t.get("expires_at").asText().matches(TIME));
    assertFalse("decided after created: " + t, Instant.parse(t.get("decided_at").asText())
        .isBefore(Instant.parse(t.get("created_at").asText())));
    assertTrue(t.get("pending").isBoolean());
    assertTrue(t.get("metadata").isObject());
  }

  /** A 422 business refusal: the error names code and account, the transfer is recorded rejected. */
  private static JsonNode assertRejected(Response r, String transferId, ResultCode code, String accountId) {
    assertEquals(r.body(), 422, r.status());
    assertNoStackTrace(r);
    JsonNode body = r.json();
    assertEquals(Set.of("error", "transfer"), fieldNames(body));
    JsonNode error = body.get("error");
    assertEquals(new TreeSet<>(Set.of("code", "message", "account_id")), fieldNames(error));
    assertEquals(code.wire(), error.get("code").asText());
    assertTrue(error.get("message").isTextual());
    assertEquals(accountId, error.get("account_id").asText());
    JsonNode t = body.get("transfer");
    assertTransferShape(t);
    assertEquals(transferId, t.get("id").asText());
    assertEquals("rejected", t.get("status").asText());
    assertEquals(json("{\"code\":\"" + code.wire() + "\",\"account_id\":\"" + accountId + "\"}"), t.get("rejection"));
    assertTrue(t.get("expires_at").isNull());
    assertTrue(t.get("posted_amount").isNull());
    return t;
  }

  /**
   * Polls the account until its four counters are exactly these (the post to the accounts is
   * asynchronous), then checks the derived balance and available too.
   */
  private static JsonNode awaitCounters(String accountId, long debitsPosted, long creditsPosted, long debitsPending,
                                        long creditsPending) {
    List<Long> expected = List.of(debitsPosted, creditsPosted, debitsPending, creditsPending);
    long deadline = System.nanoTime() + SETTLE.toNanos();
    JsonNode a;
    List<Long> actual;
    while (true) {
      Response r = http.get("/accounts/" + accountId);
      assertEquals(r.body(), 200, r.status());
      a = r.json();
      actual = List.of(a.get("debits_posted").asLong(), a.get("credits_posted").asLong(),
          a.get("debits_pending").asLong(), a.get("credits_pending").asLong());
      if (actual.equals(expected) || System.nanoTime() > deadline) {
        break;
      }
      sleep(10);
    }
    assertEquals(accountId + " [debits_posted, credits_posted, debits_pending, credits_pending]", expected, actual);
    assertEquals(creditsPosted - debitsPosted, a.get("balance").asLong());
    assertEquals(creditsPosted - debitsPosted - debitsPending, a.get("available").asLong());
    return a;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs {@code n} requests at once (released together), answers in index order. */
  private static List<Response> parallel(int n, IntFunction<Response> request) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Response>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        futures.add(pool.submit(() -> {
          go.await();
          return request.apply(index);
        }));
      }
      go.countDown();
      List<Response> responses = new ArrayList<>();
      for (Future<Response> f : futures) {
        responses.add(f.get(30, TimeUnit.SECONDS));
      }
      return responses;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Response postPending(String id, String body) {
    return body == null ? http.post("/transfers/" + id + "/post") : http.post("/transfers/" + id + "/post", body);
  }

  private static Response voidPending(String id) {
    return http.post("/transfers/" + id + "/void");
  }

  // ---- create: one leg and several legs -------------------------------------------------

  @Test
  public void oneLegTransferAnswers201WithEveryFieldAndMovesTheBalancesExactly() {
    String op = operator();
    String alice = usd();
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, alice, 500, ",\"metadata\":{\"b\":\"2\",\"a\":\"1\"}"));
    assertEquals(r.body(), 201, r.status());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode t = r.json();
    assertTransferShape(t);
    assertEquals(id, t.get("id").asText());
    assertEquals(json("[" + leg(op, alice, 500) + "]"), t.get("legs"));
    assertTrue(t.get("legs").get(0).get("amount").isIntegralNumber());
    assertEquals("posted", t.get("status").asText());
    assertTrue(t.get("rejection").isNull());
    assertFalse(t.get("pending").asBoolean());
    assertTrue(t.get("timeout_seconds").isNull());
    assertTrue(t.get("expires_at").isNull());
    assertTrue(t.get("posted_amount").isNull());
    assertEquals(json("{\"a\":\"1\",\"b\":\"2\"}"), t.get("metadata"));

    awaitCounters(op, 500, 0, 0, 0);
    awaitCounters(alice, 0, 500, 0, 0);
    Response got = http.get("/transfers/" + id);
    assertEquals(200, got.status());
    assertEquals(t, got.json());
  }

  @Test
  public void multiLegTransferAnswers201AndPostsEveryLeg() {
    String op = operator();
    String a = funded(1000);
    String b = funded(500);
    String id = newId("t");
    Response r = transfer(multi(id, "", leg(a, b, 300), leg(b, op, 100), leg(op, a, 50)));
    assertEquals(r.body(), 201, r.status());
    JsonNode t = r.json();
    assertTransferShape(t);
    assertEquals(json("[" + leg(a, b, 300) + "," + leg(b, op, 100) + "," + leg(op, a, 50) + "]"), t.get("legs"));
    assertEquals("posted", t.get("status").asText());
    assertTrue(t.get("rejection").isNull());
    assertFalse(t.get("pending").asBoolean());
    assertTrue(t.get("timeout_seconds").isNull());
    assertTrue(t.get("expires_at").isNull());
    assertTrue(t.get("posted_amount").isNull());
    assertEquals(0, t.get("metadata").size());
    awaitCounters(a, 300, 1050, 0, 0);
    awaitCounters(b, 100, 800, 0, 0);
    awaitCounters(op, 50, 100, 0, 0);
    assertEquals(t, http.get("/transfers/" + id).json());

    // Each leg in its own currency; an account touched in another currency refuses.
    String eurOp = account("EUR", ",\"min_balance\":null");
    String eur = account("EUR", "");
    String mixed = newId("t");
    Response both = transfer(multi(mixed, "", leg(a, b, 1), leg(eurOp, eur, 2, "EUR")));
    assertEquals(both.body(), 201, both.status());
    awaitCounters(eur, 0, 2, 0, 0);
    awaitCounters(a, 301, 1050, 0, 0);
    String wrong = newId("t");
    assertRejected(transfer(multi(wrong, "", leg(eurOp, eur, 2, "EUR"), leg(a, eur, 1, "USD"))), wrong,
        ResultCode.CURRENCY_MISMATCH, eur);
    awaitCounters(eur, 0, 2, 0, 0);
    awaitCounters(eurOp, 2, 0, 0, 0);
    awaitCounters(a, 301, 1050, 0, 0);
  }

  @Test
  public void idsMayUseEveryAllowedCharacterAndBatchIsAnOrdinaryId() {
    String op = operator();
    String a = usd();
    String id = "T0.a:b_c-" + ids.incrementAndGet();
    Response r = transfer(oneLeg(id, op, a, 2, ""));
    assertEquals(r.body(), 201, r.status());
    assertEquals(r.json(), http.get("/transfers/" + id).json());
    // "batch" is a valid transfer id: GET and post/void reach it, POST /transfers/batch stays the batch.
    assertError(http.get("/transfers/batch"), 404, ResultCode.TRANSFER_NOT_FOUND);
    Response batchId = transfer(oneLeg("batch", op, a, 3, ",\"pending\":true"));
    assertEquals(batchId.body(), 201, batchId.status());
    assertEquals(batchId.json(), http.get("/transfers/batch").json());
    assertEquals("voided", voidPending("batch").json().get("status").asText());
    awaitCounters(a, 0, 2, 0, 0);
  }

  @Test
  public void sixteenLegsAreAcceptedAndSeventeenAreTooMany() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String[] sixteen = IntStream.rangeClosed(1, 16).mapToObj(i -> leg(op, a, i)).toArray(String[]::new);
    Response r = transfer(multi(id, "", sixteen));
    assertEquals(r.body(), 201, r.status());
    assertEquals(16, r.json().get("legs").size());
    awaitCounters(a, 0, 136, 0, 0);
    awaitCounters(op, 136, 0, 0, 0);

    String tooMany = newId("t");
    String[] seventeen = IntStream.rangeClosed(1, 17).mapToObj(i -> leg(op, a, i)).toArray(String[]::new);
    assertInvalid(multi(tooMany, "", seventeen), ResultCode.TOO_MANY_LEGS, tooMany);
    awaitCounters(a, 0, 136, 0, 0);
  }

  @Test
  public void jsonWithACharsetParameterIsAccepted() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    Response r = http.send("POST", "/transfers", oneLeg(id, op, a, 3, ""), "application/json; charset=utf-8");
    assertEquals(r.body(), 201, r.status());
    awaitCounters(a, 0, 3, 0, 0);
  }

  // ---- idempotency ----------------------------------------------------------------------

  @Test
  public void identicalRetryAnswers200WithTheSameObjectAndMovesNothingAgain() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    Response first = transfer(oneLeg(id, op, a, 70, ",\"metadata\":{\"x\":\"1\",\"y\":\"2\"}"));
    assertEquals(201, first.status());
    awaitCounters(a, 0, 70, 0, 0);
    Response again = transfer(oneLeg(id, op, a, 70, ",\"metadata\":{\"y\":\"2\",\"x\":\"1\"}"));
    assertEquals(again.body(), 200, again.status());
    assertEquals(first.json(), again.json());
    // The multi-leg form of the very same single leg is the same request.
    Response asLegs = transfer(multi(id, ",\"metadata\":{\"x\":\"1\",\"y\":\"2\"}", leg(op, a, 70)));
    assertEquals(asLegs.body(), 200, asLegs.status());
    assertEquals(first.json(), asLegs.json());

    String m = newId("t");
    Response multiFirst = transfer(multi(m, ",\"pending\":false", leg(op, a, 5), leg(op, a, 6)));
    assertEquals(201, multiFirst.status());
    Response multiAgain = transfer(multi(m, "", leg(op, a, 5), leg(op, a, 6)));
    assertEquals(multiAgain.body(), 200, multiAgain.status());
    assertEquals(multiFirst.json(), multiAgain.json());

    awaitCounters(a, 0, 81, 0, 0);
    awaitCounters(op, 81, 0, 0, 0);
  }

  @Test
  public void sameIdWithAnyFieldDifferentAnswers409NamingTheField() {
    String op = operator();
    String a = usd();
    String other = usd();
    String id = newId("t");
    String meta = ",\"metadata\":{\"k\":\"v\"}";
    String base = ",\"pending\":true,\"timeout_seconds\":600";
    Response first = transfer(oneLeg(id, op, a, 40, base + meta));
    assertEquals(first.body(), 201, first.status());
    assertError(transfer(oneLeg(id, other, a, 40, base + meta)), 409, ResultCode.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    assertError(transfer(oneLeg(id, op, other, 40, base + meta)), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    assertError(transfer(oneLeg(id, op, a, 41, base + meta)), 409, ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
    Map<String, String> eur = fields(id, op, a);
    eur.put("amount", "40");
    eur.put("currency", "\"EUR\"");
    eur.put("pending", "true");
    eur.put("timeout_seconds", "600");
    eur.put("metadata", "{\"k\":\"v\"}");
    assertError(transfer(raw(eur)), 409, ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY);
    assertError(transfer(multi(id, base + meta, leg(op, a, 40), leg(op, a, 1))), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(oneLeg(id, op, a, 40, meta)), 409, ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertError(transfer(oneLeg(id, op, a, 40, ",\"pending\":true,\"timeout_seconds\":601" + meta)), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS);
    assertError(transfer(oneLeg(id, op, a, 40, ",\"pending\":true" + meta)), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS);
    assertError(transfer(oneLeg(id, op, a, 40, base + ",\"metadata\":{\"k\":\"w\"}")), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
    assertError(transfer(oneLeg(id, op, a, 40, base)), 409, ResultCode.EXISTS_WITH_DIFFERENT_METADATA);

    String m = newId("t");
    assertEquals(201, transfer(multi(m, "", leg(op, a, 1), leg(op, a, 2))).status());
    assertError(transfer(multi(m, "", leg(op, a, 2), leg(op, a, 1))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, "", leg(op, a, 1))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, "", leg(op, a, 1), leg(op, a, 3))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, ",\"pending\":true", leg(op, a, 1), leg(op, a, 2))), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertError(transfer(multi(m, ",\"metadata\":{\"k\":\"v\"}", leg(op, a, 1), leg(op, a, 2))), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);

    // Nothing changed: the first is still pending as it was, the second posted once.
    assertEquals(first.json(), http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 3, 0, 40);
    awaitCounters(op, 3, 0, 40, 0);
    awaitCounters(other, 0, 0, 0, 0);
  }

  // ---- business refusals (422) ----------------------------------------------------------

  @Test
  public void missingAccountIsRejected422AndStaysRejected() {
    String op = operator();
    String missing = newId("nobody");
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, missing, 10, ""));
    JsonNode t = assertRejected(r, id, ResultCode.ACCOUNT_NOT_FOUND, missing);
    assertEquals(json("[" + leg(op, missing, 10) + "]"), t.get("legs"));
    assertFalse(t.get("pending").asBoolean());
    awaitCounters(op, 0, 0, 0, 0);
    // The account appears; the id stays rejected with the same answer.
    assertEquals(201, http.post("/accounts", "{\"id\":\"" + missing + "\",\"currency\":\"USD\"}").status());
    Response again = transfer(oneLeg(id, op, missing, 10, ""));
    assertEquals(422, again.status());
    assertEquals(r.json(), again.json());
    Response got = http.get("/transfers/" + id);
    assertEquals(200, got.status());
    assertEquals(t, got.json());
    awaitCounters(missing, 0, 0, 0, 0);
    awaitCounters(op, 0, 0, 0, 0);
  }

  @Test
  public void lockedAccountIsRejected422AndTheIdStaysRejectedAfterUnlocking() {
    String op = operator();
    String a = usd();
    assertEquals(200, http.post("/accounts/" + a + "/lock").status());
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, a, 10, ""));
    assertRejected(r, id, ResultCode.ACCOUNT_LOCKED, a);
    awaitCounters(op, 0, 0, 0, 0);
    awaitCounters(a, 0, 0, 0, 0);
    // Locked refuses on the debit side too.
    String debit = newId("t");
    assertRejected(transfer(oneLeg(debit, a, op, 1, "")), debit, ResultCode.ACCOUNT_LOCKED, a);

    assertEquals(200, http.post("/accounts/" + a + "/unlock").status());
    Response again = transfer(oneLeg(id, op, a, 10, ""));
    assertEquals(again.body(), 422, again.status());
    assertEquals(r.json(), again.json());
    assertEquals(r.json().get("transfer"), http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 0, 0, 0);
    // A new id goes through now.
    assertEquals(201, transfer(oneLeg(newId("t"), op, a, 10, "")).status());
    awaitCounters(a, 0, 10, 0, 0);
  }

  @Test
  public void closedAccountIsRejected422() {
    String op = operator();
    String a = usd();
    assertEquals(200, http.post("/accounts/" + a + "/close").status());
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, a, 10, ""));
    assertRejected(r, id, ResultCode.ACCOUNT_CLOSED, a);
    assertEquals(r.json(), transfer(oneLeg(id, op, a, 10, "")).json());
    awaitCounters(op, 0, 0, 0, 0);
    awaitCounters(a, 0, 0, 0, 0);
  }

  @Test
  public void currencyMismatchIsRejected422() {
    String op = operator();
    String euros = account("EUR", "");
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, euros, 10, ""));
    assertRejected(r, id, ResultCode.CURRENCY_MISMATCH, euros);
    // The debit account is asked first: a leg in a currency neither has names the debit account.
    String id2 = newId("t");
    Map<String, String> f = fields(id2, op, euros);
    f.put("currency", "\"GBP\"");
    assertRejected(transfer(raw(f)), id2, ResultCode.CURRENCY_MISMATCH, op);
    assertEquals(r.json(), transfer(oneLeg(id, op, euros, 10, "")).json());
    awaitCounters(op, 0, 0, 0, 0);
    awaitCounters(euros, 0, 0, 0, 0);
  }

  @Test
  public void exceedsMinBalanceIsRejected422AndTheExactBalanceStillGoes() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    Response r = transfer(oneLeg(id, a, b, 101, ""));
    assertRejected(r, id, ResultCode.EXCEEDS_MIN_BALANCE, a);
    assertEquals(r.json(), transfer(oneLeg(id, a, b, 101, "")).json());
    awaitCounters(a, 0, 100, 0, 0);
    awaitCounters(b, 0, 0, 0, 0);
    assertEquals(201, transfer(oneLeg(newId("t"), a, b, 100, "")).status());
    awaitCounters(a, 100, 100, 0, 0);
    awaitCounters(b, 0, 100, 0, 0);
  }

  @Test
  public void exceedsMaxBalanceIsRejected422() {
    String op = operator();
    String capped = account("USD", ",\"max_balance\":100");
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, capped, 101, ""));
    assertRejected(r, id, ResultCode.EXCEEDS_MAX_BALANCE, capped);
    assertEquals(r.json(), transfer(oneLeg(id, op, capped, 101, "")).json());
    awaitCounters(op, 0, 0, 0, 0);
    awaitCounters(capped, 0, 0, 0, 0);
    assertEquals(201, transfer(oneLeg(newId("t"), op, capped, 100, "")).status());
    awaitCounters(capped, 0, 100, 0, 0);
    String one = newId("t");
    assertRejected(transfer(oneLeg(one, op, capped, 1, "")), one, ResultCode.EXCEEDS_MAX_BALANCE, capped);
    awaitCounters(capped, 0, 100, 0, 0);
  }

  @Test
  public void overflowIsRejected422() {
    String op1 = operator();
    String op2 = operator();
    String big = account("USD", ",\"min_balance\":null,\"max_balance\":null");
    Response full = transfer(oneLeg(newId("t"), op1, big, MAX, ""));
    assertEquals(full.body(), 201, full.status());
    assertEquals(MAX, full.json().get("legs").get(0).get("amount").asLong());
    awaitCounters(big, 0, MAX, 0, 0);
    awaitCounters(op1, MAX, 0, 0, 0);
    String id = newId("t");
    Response r = transfer(oneLeg(id, op2, big, 1, ""));
    assertRejected(r, id, ResultCode.OVERFLOW, big);
    assertEquals(r.json(), transfer(oneLeg(id, op2, big, 1, "")).json());
    awaitCounters(op2, 0, 0, 0, 0);
    awaitCounters(big, 0, MAX, 0, 0);
    // The debit side overflows too.
    String id2 = newId("t");
    assertRejected(transfer(oneLeg(id2, op1, op2, 1, "")), id2, ResultCode.OVERFLOW, op1);
    awaitCounters(op1, MAX, 0, 0, 0);
  }

  @Test
  public void aMultiLegTransferWithOneRefusedLegChangesNoAccount() {
    String op = operator();
    String a = usd();
    String locked = usd();
    assertEquals(200, http.post("/accounts/" + locked + "/lock").status());
    String id = newId("t");
    Response r = transfer(multi(id, "", leg(op, a, 10), leg(op, locked, 5)));
    JsonNode t = assertRejected(r, id, ResultCode.ACCOUNT_LOCKED, locked);
    assertEquals(2, t.get("legs").size());
    awaitCounters(op, 0, 0, 0, 0);
    awaitCounters(a, 0, 0, 0, 0);
    awaitCounters(locked, 0, 0, 0, 0);
    assertEquals(r.json(), transfer(multi(id, "", leg(op, a, 10), leg(op, locked, 5))).json());
  }

  @Test
  public void aRejectedPendingTransferRecordsItsRequestAndReservesNothing() {
    String a = funded(10);
    String b = usd();
    String id = newId("t");
    Response r = transfer(oneLeg(id, a, b, 11, ",\"pending\":true,\"timeout_seconds\":60"));
    JsonNode t = assertRejected(r, id, ResultCode.EXCEEDS_MIN_BALANCE, a);
    assertTrue(t.get("pending").asBoolean());
    assertEquals(60, t.get("timeout_seconds").asLong());
    assertTrue(t.get("expires_at").isNull());
    awaitCounters(a, 0, 10, 0, 0);
    awaitCounters(b, 0, 0, 0, 0);
  }

  // ---- validation (400): nothing persisted ----------------------------------------------

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
        String id = newId("t");
        Map<String, String> f = fields(id, op, a);
        f.put(field, value);
        assertInvalid(raw(f), ResultCode.INVALID_ID, id);
      }
      String id = newId("t");
      Map<String, String> f = fields(id, op, a);
      f.put(field, null);
      assertInvalid(raw(f), ResultCode.INVALID_ID, id);
      // ... and inside a leg
      String legId = newId("t");
      Map<String, String> l = fields("x", op, a);
      l.remove("id");
      l.put(field, "\"-bad\"");
      assertInvalid(multi(legId, "", leg(op, a, 1), raw(l)), ResultCode.INVALID_ID, legId);
    }
    // The longest id is fine.
    String longest = "L" + "x".repeat(63);
    assertEquals(201, transfer(oneLeg(longest, op, a, 1, "")).status());
    awaitCounters(a, 0, 1, 0, 0);
  }

  @Test
  public void invalidAmountsAre400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("0", "-1", "-5", "1.0", "1.5", "1e3", "\"5\"", "9223372036854775808",
        "18446744073709551616", "null", "true", "[]", "{}")) {
      String id = newId("t");
      Map<String, String> f = fields(id, op, a);
      f.put("amount", value);
      assertInvalid(raw(f), ResultCode.INVALID_AMOUNT, id);
      String legId = newId("t");
      assertInvalid(multi(legId, "", leg(op, a, 1), leg(op, a, 1).replace("\"amount\":1", "\"amount\":" + value)),
          ResultCode.INVALID_AMOUNT, legId);
    }
    String id = newId("t");
    Map<String, String> f = fields(id, op, a);
    f.put("amount", null);
    assertInvalid(raw(f), ResultCode.INVALID_AMOUNT, id);
    awaitCounters(a, 0, 0, 0, 0);
    awaitCounters(op, 0, 0, 0, 0);
  }

  @Test
  public void invalidCurrenciesAre400() {
    String op = operator();
    String a = usd();
    for (String value : List.of("\"usd\"", "\"U\"", "\"USD-1\"", "\"" + "A".repeat(17) + "\"", "\"\"", "1",
        "null")) {
      String id = newId("t");
      Map<String, String> f = fields(id, op, a);
      f.put("currency", value);
      assertInvalid(raw(f), ResultCode.INVALID_CURRENCY, id);
      String legId = newId("t");
      assertInvalid(multi(legId, "", leg(op, a, 1).replace("\"USD\"", value)), ResultCode.INVALID_CURRENCY, legId);
    }
    String id = newId("t");
    Map<String, String> f = fields(id, op, a);
    f.put("currency", null);
    assertInvalid(raw(f), ResultCode.INVALID_CURRENCY, id);
    awaitCounters(a, 0, 0, 0, 0);
  }

  @Test
  public void sameDebitAndCreditAccountIs400() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    assertInvalid(oneLeg(id, a, a, 1, ""), ResultCode.ACCOUNTS_MUST_BE_DIFFERENT, id);
    String legId = newId("t");
    assertInvalid(multi(legId, "", leg(op, a, 1), leg(a, a, 1)), ResultCode.ACCOUNTS_MUST_BE_DIFFERENT, legId);
    awaitCounters(a, 0, 0, 0, 0);
    awaitCounters(op, 0, 0, 0, 0);
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
    Response r = transfer(oneLeg(id, op, a, 1, ",\"pending\":true,\"timeout_seconds\":2592000"));
    assertEquals(r.body(), 201, r.status());
    assertEquals(2592000, r.json().get("timeout_seconds").asLong());
    assertEquals(200, voidPending(id).status());
    awaitCounters(a, 0, 0, 0, 0);
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
    awaitCounters(a, 0, 0, 0, 0);
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
    Response r = transfer(oneLeg(newId("t"), op, a, 1, ",\"metadata\":" + sixteen));
    assertEquals(r.body(), 201, r.status());
    assertEquals(16, r.json().get("metadata").size());
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
    awaitCounters(a, 0, 0, 0, 0);
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
    awaitCounters(a, 0, 0, 0, 0);
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
    awaitCounters(a, 0, 0, 0, 0);
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
    awaitCounters(a, 0, 0, 0, 0);
  }

  // ---- two-phase ------------------------------------------------------------------------

  @Test
  public void pendingReservesThenAFullPostWithoutBodyPostsIt() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    Response r = transfer(oneLeg(id, a, b, 300, ",\"pending\":true,\"timeout_seconds\":600"));
    assertEquals(r.body(), 201, r.status());
    JsonNode t = r.json();
    assertTransferShape(t);
    assertEquals("pending", t.get("status").asText());
    assertTrue(t.get("pending").asBoolean());
    assertEquals(600, t.get("timeout_seconds").asLong());
    assertTrue(t.get("posted_amount").isNull());
    assertTrue(t.get("rejection").isNull());
    Instant decided = Instant.parse(t.get("decided_at").asText());
    assertEquals(decided.plusSeconds(600), Instant.parse(t.get("expires_at").asText()));
    JsonNode reserved = awaitCounters(a, 0, 1000, 300, 0);
    assertEquals(700, reserved.get("available").asLong());
    assertEquals(1000, reserved.get("balance").asLong());
    awaitCounters(b, 0, 0, 0, 300);
    assertEquals(t, http.get("/transfers/" + id).json());

    Response posted = postPending(id, null);
    assertEquals(posted.body(), 200, posted.status());
    JsonNode p = posted.json();
    assertTransferShape(p);
    assertEquals("posted", p.get("status").asText());
    assertTrue(p.get("posted_amount").isNull());
    assertTrue(p.get("pending").asBoolean());
    assertEquals(t.get("legs"), p.get("legs"));
    assertEquals(t.get("created_at"), p.get("created_at"));
    assertEquals(t.get("expires_at"), p.get("expires_at"));
    awaitCounters(a, 300, 1000, 0, 0);
    awaitCounters(b, 0, 300, 0, 0);

    // The same post again is a safe retry; {"amount": <all of it>} is the same post.
    Response retry = postPending(id, null);
    assertEquals(retry.body(), 200, retry.status());
    assertEquals(p, retry.json());
    Response retryAll = postPending(id, "{\"amount\":300}");
    assertEquals(retryAll.body(), 200, retryAll.status());
    assertEquals(p, retryAll.json());
    assertError(voidPending(id), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(p, http.get("/transfers/" + id).json());
    awaitCounters(a, 300, 1000, 0, 0);
    awaitCounters(b, 0, 300, 0, 0);
  }

  @Test
  public void pendingWithoutTimeoutGetsTheDefaultHourAndAnEmptyObjectPostsInFull() {
    String a = funded(50);
    String b = usd();
    String id = newId("t");
    Response r = transfer(oneLeg(id, a, b, 20, ",\"pending\":true"));
    assertEquals(r.body(), 201, r.status());
    assertEquals(3600, r.json().get("timeout_seconds").asLong());
    assertEquals(Instant.parse(r.json().get("decided_at").asText()).plusSeconds(3600),
        Instant.parse(r.json().get("expires_at").asText()));
    Response posted = postPending(id, "{}");
    assertEquals(posted.body(), 200, posted.status());
    assertEquals("posted", posted.json().get("status").asText());
    assertTrue(posted.json().get("posted_amount").isNull());
    awaitCounters(a, 20, 50, 0, 0);
    awaitCounters(b, 0, 20, 0, 0);
  }

  @Test
  public void aPartialPostPostsThatAmountAndReleasesTheRest() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    assertEquals(201, transfer(oneLeg(id, a, b, 500, ",\"pending\":true,\"timeout_seconds\":600")).status());
    awaitCounters(a, 0, 1000, 500, 0);
    awaitCounters(b, 0, 0, 0, 500);
    Response posted = postPending(id, "{\"amount\":200}");
    assertEquals(posted.body(), 200, posted.status());
    JsonNode p = posted.json();
    assertTransferShape(p);
    assertEquals("posted", p.get("status").asText());
    assertEquals(200, p.get("posted_amount").asLong());
    assertEquals(500, p.get("legs").get(0).get("amount").asLong());
    awaitCounters(a, 200, 1000, 0, 0);
    awaitCounters(b, 0, 200, 0, 0);
    Response retry = postPending(id, "{\"amount\":200}");
    assertEquals(retry.body(), 200, retry.status());
    assertEquals(p, retry.json());
    assertError(voidPending(id), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(p, http.get("/transfers/" + id).json());
    awaitCounters(a, 200, 1000, 0, 0);
    awaitCounters(b, 0, 200, 0, 0);
  }

  @Test
  public void aPostOfTheWholeAmountIsAFullPost() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    assertEquals(201, transfer(oneLeg(id, a, b, 100, ",\"pending\":true,\"timeout_seconds\":600")).status());
    Response posted = postPending(id, "{\"amount\":100}");
    assertEquals(posted.body(), 200, posted.status());
    assertEquals("posted", posted.json().get("status").asText());
    assertTrue(posted.json().get("posted_amount").isNull());
    assertEquals(posted.json(), postPending(id, null).json());
    awaitCounters(a, 100, 100, 0, 0);
    awaitCounters(b, 0, 100, 0, 0);
  }

  @Test
  public void badPostsAre400AndLeaveTheTransferPending() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    Response created = transfer(oneLeg(id, a, b, 500, ",\"pending\":true,\"timeout_seconds\":600"));
    assertEquals(201, created.status());
    assertError(postPending(id, "{\"amount\":501}"), 400, ResultCode.EXCEEDS_PENDING_AMOUNT);
    assertError(postPending(id, "{\"amount\":9223372036854775807}"), 400, ResultCode.EXCEEDS_PENDING_AMOUNT);
    for (String bad : List.of("0", "-1", "1.5", "1.0", "\"5\"", "null", "9223372036854775808")) {
      assertError(postPending(id, "{\"amount\":" + bad + "}"), 400, ResultCode.INVALID_AMOUNT);
    }
    assertError(postPending(id, "{\"amount\":5,\"extra\":1}"), 400, ResultCode.UNKNOWN_FIELD);
    assertError(postPending(id, "{\"amt\":5}"), 400, ResultCode.UNKNOWN_FIELD);
    assertError(postPending(id, "{\"amount\":"), 400, ResultCode.MALFORMED_JSON);
    assertError(postPending(id, "[]"), 400, ResultCode.MALFORMED_JSON);
    assertError(http.send("POST", "/transfers/" + id + "/post", "{\"amount\":5}", "text/plain"), 415,
        ResultCode.UNSUPPORTED_MEDIA_TYPE);
    assertEquals(created.json(), http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 1000, 500, 0);
    awaitCounters(b, 0, 0, 0, 500);
  }

  @Test
  public void voidReleasesThePendingAmountAndIsASafeRetry() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    Response created = transfer(oneLeg(id, a, b, 400, ",\"pending\":true,\"timeout_seconds\":600"));
    assertEquals(201, created.status());
    awaitCounters(a, 0, 1000, 400, 0);
    Response voided = voidPending(id);
    assertEquals(voided.body(), 200, voided.status());
    JsonNode v = voided.json();
    assertTransferShape(v);
    assertEquals("voided", v.get("status").asText());
    assertTrue(v.get("posted_amount").isNull());
    assertTrue(v.get("rejection").isNull());
    assertEquals(created.json().get("expires_at"), v.get("expires_at"));
    awaitCounters(a, 0, 1000, 0, 0);
    awaitCounters(b, 0, 0, 0, 0);
    Response again = voidPending(id);
    assertEquals(again.body(), 200, again.status());
    assertEquals(v, again.json());
    assertError(postPending(id, null), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(postPending(id, "{\"amount\":1}"), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(v, http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 1000, 0, 0);
    awaitCounters(b, 0, 0, 0, 0);
  }

  @Test
  public void multiLegPendingPostsOnlyInFull() {
    String op = operator();
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    Response created = transfer(multi(id, ",\"pending\":true,\"timeout_seconds\":600", leg(a, b, 30), leg(op, b, 7)));
    assertEquals(created.body(), 201, created.status());
    awaitCounters(a, 0, 100, 30, 0);
    awaitCounters(b, 0, 0, 0, 37);
    assertError(postPending(id, "{\"amount\":10}"), 400, ResultCode.INVALID_AMOUNT);
    assertError(postPending(id, "{\"amount\":30}"), 400, ResultCode.INVALID_AMOUNT);
    assertEquals(created.json(), http.get("/transfers/" + id).json());
    Response posted = postPending(id, null);
    assertEquals(posted.body(), 200, posted.status());
    assertEquals("posted", posted.json().get("status").asText());
    assertTrue(posted.json().get("posted_amount").isNull());
    awaitCounters(a, 30, 100, 0, 0);
    awaitCounters(b, 0, 37, 0, 0);
    awaitCounters(op, 7, 0, 0, 0);
  }

  @Test
  public void aPendingTransferCanBePostedAfterItsAccountWasLocked() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    assertEquals(201, transfer(oneLeg(id, a, b, 60, ",\"pending\":true,\"timeout_seconds\":600")).status());
    assertEquals(200, http.post("/accounts/" + b + "/lock").status());
    assertEquals(200, http.post("/accounts/" + a + "/lock").status());
    Response posted = postPending(id, null);
    assertEquals(posted.body(), 200, posted.status());
    awaitCounters(a, 60, 100, 0, 0);
    awaitCounters(b, 0, 60, 0, 0);
  }

  @Test
  public void postOrVoidOfATransferThatIsNotPendingIs409() {
    String op = operator();
    String a = usd();
    String posted = newId("t");
    assertEquals(201, transfer(oneLeg(posted, op, a, 5, "")).status());
    assertError(postPending(posted, null), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(postPending(posted, "{\"amount\":5}"), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(voidPending(posted), 409, ResultCode.TRANSFER_NOT_PENDING);

    String rejected = newId("t");
    assertEquals(422, transfer(oneLeg(rejected, a, op, 1000, "")).status());
    assertError(postPending(rejected, null), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(voidPending(rejected), 409, ResultCode.TRANSFER_NOT_PENDING);

    String rejectedPending = newId("t");
    assertEquals(422, transfer(oneLeg(rejectedPending, a, op, 1000, ",\"pending\":true")).status());
    assertError(postPending(rejectedPending, null), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(voidPending(rejectedPending), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals("rejected", http.get("/transfers/" + rejectedPending).json().get("status").asText());
    awaitCounters(a, 0, 5, 0, 0);
    awaitCounters(op, 5, 0, 0, 0);
  }

  @Test
  public void aPendingTransferExpiresByItselfAndThenPostAndVoidAre409Expired() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    Response created = transfer(oneLeg(id, a, b, 40, ",\"pending\":true,\"timeout_seconds\":1"));
    assertEquals(created.body(), 201, created.status());
    JsonNode c = created.json();
    assertEquals(1, c.get("timeout_seconds").asLong());
    Instant expiresAt = Instant.parse(c.get("expires_at").asText());
    assertEquals(Instant.parse(c.get("decided_at").asText()).plusSeconds(1), expiresAt);
    awaitCounters(a, 0, 100, 40, 0);

    long deadline = System.nanoTime() + SETTLE.toNanos();
    JsonNode t = http.get("/transfers/" + id).json();
    while (!"expired".equals(t.get("status").asText()) && System.nanoTime() < deadline) {
      sleep(50);
      t = http.get("/transfers/" + id).json();
    }
    assertEquals(t.toString(), "expired", t.get("status").asText());
    assertTransferShape(t);
    assertEquals(c.get("expires_at"), t.get("expires_at"));
    assertFalse("expired at or after expires_at",
        Instant.parse(t.get("decided_at").asText()).isBefore(expiresAt));
    assertTrue(t.get("posted_amount").isNull());
    assertTrue(t.get("rejection").isNull());
    awaitCounters(a, 0, 100, 0, 0);
    awaitCounters(b, 0, 0, 0, 0);

    assertError(postPending(id, null), 409, ResultCode.TRANSFER_EXPIRED);
    assertError(postPending(id, "{\"amount\":10}"), 409, ResultCode.TRANSFER_EXPIRED);
    assertError(voidPending(id), 409, ResultCode.TRANSFER_EXPIRED);
    assertEquals(t, http.get("/transfers/" + id).json());
    // The create retried answers the expired record.
    Response retried = transfer(oneLeg(id, a, b, 40, ",\"pending\":true,\"timeout_seconds\":1"));
    assertEquals(retried.body(), 200, retried.status());
    assertEquals(t, retried.json());
    awaitCounters(a, 0, 100, 0, 0);
  }

  @Test
  public void postOrVoidOfAnUnknownOrInvalidIdIs404Or400() {
    String id = newId("t");
    assertError(postPending(id, null), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertError(postPending(id, "{\"amount\":1}"), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertError(voidPending(id), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertNotPersisted(id);
    assertError(http.post("/transfers/-x/post"), 400, ResultCode.INVALID_ID);
    assertError(http.post("/transfers/" + "y".repeat(65) + "/void"), 400, ResultCode.INVALID_ID);
  }

  // ---- read -----------------------------------------------------------------------------

  @Test
  public void getAnswersEveryStatusOr404OrInvalidId() {
    String op = operator();
    String a = usd();
    String posted = newId("t");
    String pending = newId("t");
    String voided = newId("t");
    String rejected = newId("t");
    Map<String, Response> created = new LinkedHashMap<>();
    created.put(posted, transfer(oneLeg(posted, op, a, 9, "")));
    created.put(pending, transfer(oneLeg(pending, op, a, 8, ",\"pending\":true")));
    created.put(voided, transfer(oneLeg(voided, op, a, 7, ",\"pending\":true")));
    created.put(rejected, transfer(oneLeg(rejected, a, op, 1_000_000, "")));
    assertEquals(200, voidPending(voided).status());
    Map<String, String> status = Map.of(posted, "posted", pending, "pending", voided, "voided", rejected,
        "rejected");
    for (String id : created.keySet()) {
      Response got = http.get("/transfers/" + id);
      assertEquals(got.body(), 200, got.status());
      assertTransferShape(got.json());
      assertEquals(id, got.json().get("id").asText());
      assertEquals(status.get(id), got.json().get("status").asText());
    }
    assertEquals(created.get(posted).json(), http.get("/transfers/" + posted).json());
    assertEquals(created.get(pending).json(), http.get("/transfers/" + pending).json());
    assertEquals(created.get(rejected).json().get("transfer"), http.get("/transfers/" + rejected).json());
    assertError(http.get("/transfers/" + newId("t")), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertError(http.get("/transfers/-x"), 400, ResultCode.INVALID_ID);
    assertError(http.get("/transfers/" + "y".repeat(65)), 400, ResultCode.INVALID_ID);
    assertError(http.get("/transfers/caf%C3%A9"), 400, ResultCode.INVALID_ID);
    awaitCounters(a, 0, 9, 0, 8);
  }

  // ---- batch ----------------------------------------------------------------------------

  @Test
  public void batchAnswersEachElementInRequestOrder() {
    String op = operator();
    String a = usd();
    String existing = newId("t");
    assertEquals(201, transfer(oneLeg(existing, op, a, 7, "")).status());
    awaitCounters(a, 0, 7, 0, 0);
    String b0 = newId("b");
    String b1 = newId("b");
    String b2 = newId("b");
    String b4 = newId("b");
    String b6 = newId("b");
    String b9 = newId("b");
    List<String> elements = List.of(
        oneLeg(b0, op, a, 10, ""),
        oneLeg(b1, a, op, 1000, ""),
        oneLeg(b2, a, a, 1, ""),
        oneLeg(existing, op, a, 8, ""),
        oneLeg(b4, op, a, 5, ""),
        oneLeg(b4, op, a, 5, ""),
        oneLeg(b6, op, a, 0, ""),
        "42",
        oneLeg(existing, op, a, 7, ""),
        multi(b9, ",\"pending\":true,\"timeout_seconds\":60", leg(op, a, 3), leg(op, a, 4)));
    Response r = http.post("/transfers/batch", "{\"transfers\":[" + String.join(",", elements) + "]}");
    assertEquals(r.body(), 200, r.status());
    assertNoStackTrace(r);
    assertEquals(Set.of("results"), fieldNames(r.json()));
    JsonNode results = r.json().get("results");
    assertEquals(r.body(), elements.size(), results.size());
    assertBatchResult(results.get(0), b0, "posted", null);
    assertBatchResult(results.get(1), b1, "rejected", ResultCode.EXCEEDS_MIN_BALANCE);
    assertEquals(a, results.get(1).get("error").get("account_id").asText());
    assertBatchResult(results.get(2), b2, "failed", ResultCode.ACCOUNTS_MUST_BE_DIFFERENT);
    assertBatchResult(results.get(3), existing, "failed", ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
    assertBatchResult(results.get(4), b4, "posted", null);
    assertBatchResult(results.get(5), b4, "posted", null);
    assertBatchResult(results.get(6), b6, "failed", ResultCode.INVALID_AMOUNT);
    assertBatchResult(results.get(7), null, "failed", ResultCode.MALFORMED_JSON);
    assertBatchResult(results.get(8), existing, "posted", null);
    assertBatchResult(results.get(9), b9, "pending", null);

    assertEquals("posted", http.get("/transfers/" + b0).json().get("status").asText());
    assertEquals("rejected", http.get("/transfers/" + b1).json().get("status").asText());
    assertNotPersisted(b2);
    assertNotPersisted(b6);
    assertEquals(7, http.get("/transfers/" + existing).json().get("legs").get(0).get("amount").asLong());
    awaitCounters(a, 0, 22, 0, 7);
    awaitCounters(op, 22, 0, 7, 0);

    // The whole batch again: each element is idempotent.
    Response again = http.post("/transfers/batch", "{\"transfers\":[" + String.join(",", elements) + "]}");
    assertEquals(200, again.status());
    assertEquals(results, again.json().get("results"));
    awaitCounters(a, 0, 22, 0, 7);
  }

  private static void assertBatchResult(JsonNode result, String id, String status, ResultCode code) {
    if (id == null) {
      assertTrue(result.toString(), result.get("id").isNull());
    } else {
      assertEquals(result.toString(), id, result.get("id").asText());
    }
    assertEquals(result.toString(), status, result.get("status").asText());
    if (code == null) {
      assertEquals(result.toString(), Set.of("id", "status"), fieldNames(result));
    } else {
      assertEquals(result.toString(), Set.of("id", "status", "error"), fieldNames(result));
      assertEquals(result.toString(), code.wire(), result.get("error").get("code").asText());
      assertTrue(result.toString(), result.get("error").get("message").isTextual());
    }
  }

  @Test
  public void batchOfOneThousandIsAcceptedAndOneMoreIsTooMany() {
    String thousand = IntStream.range(0, 1000)
        .mapToObj(i -> "{\"id\":\"same-" + i + "\",\"debit_account_id\":\"x\",\"credit_account_id\":\"x\","
            + "\"amount\":1,\"currency\":\"USD\"}")
        .collect(Collectors.joining(",", "{\"transfers\":[", "]}"));
    Response r = http.post("/transfers/batch", thousand);
    assertEquals(r.body().substring(0, Math.min(300, r.body().length())), 200, r.status());
    JsonNode results = r.json().get("results");
    assertEquals(1000, results.size());
    for (int i = 0; i < 1000; i++) {
      assertBatchResult(results.get(i), "same-" + i, "failed", ResultCode.ACCOUNTS_MUST_BE_DIFFERENT);
    }
    String op = operator();
    String a = usd();
    String first = newId("b");
    String tooMany = IntStream.range(0, 1001)
        .mapToObj(i -> i == 0 ? oneLeg(first, op, a, 1, "") : "{}")
        .collect(Collectors.joining(",", "{\"transfers\":[", "]}"));
    assertError(http.post("/transfers/batch", tooMany), 400, ResultCode.TOO_MANY_TRANSFERS);
    assertNotPersisted(first);
    awaitCounters(a, 0, 0, 0, 0);
  }

  @Test
  public void aBatchOfValidTransfersAmongManyAccountsPostsThemAllExactly() {
    List<String> ops = IntStream.range(0, 50).mapToObj(i -> operator()).toList();
    List<String> accounts = IntStream.range(0, 50).mapToObj(i -> usd()).toList();
    String prefix = newId("many");
    int n = 300;
    String body = IntStream.range(0, n)
        .mapToObj(i -> oneLeg(prefix + "-" + i, ops.get(i % 50), accounts.get((i / 6) % 50), 1 + i % 7, ""))
        .collect(Collectors.joining(",", "{\"transfers\":[", "]}"));
    Response r = http.post("/transfers/batch", body);
    assertEquals(200, r.status());
    JsonNode results = r.json().get("results");
    assertEquals(n, results.size());
    long[] credited = new long[50];
    long[] debited = new long[50];
    for (int i = 0; i < n; i++) {
      assertBatchResult(results.get(i), prefix + "-" + i, "posted", null);
      credited[(i / 6) % 50] += 1 + i % 7;
      debited[i % 50] += 1 + i % 7;
    }
    for (int k = 0; k < 50; k++) {
      awaitCounters(accounts.get(k), 0, credited[k], 0, 0);
      awaitCounters(ops.get(k), debited[k], 0, 0, 0);
    }
  }

  @Test
  public void batchBodiesThatAreNotOneToOneThousandTransfersAre400() {
    String op = operator();
    String a = usd();
    String id = newId("b");
    for (String bad : List.of("{\"transfers\":[]}", "{\"transfers\":{}}", "{\"transfers\":\"x\"}",
        "{\"transfers\":null}", "{\"transfers\":" + oneLeg(id, op, a, 1, "") + "}", "{}")) {
      assertError(http.post("/transfers/batch", bad), 400, ResultCode.INVALID_BATCH);
    }
    assertError(http.post("/transfers/batch", "{\"transfers\":[" + oneLeg(id, op, a, 1, "") + "],\"atomic\":true}"),
        400, ResultCode.UNKNOWN_FIELD);
    assertError(http.post("/transfers/batch", "[" + oneLeg(id, op, a, 1, "") + "]"), 400,
        ResultCode.MALFORMED_JSON);
    assertError(http.post("/transfers/batch", "{\"transfers\":["), 400, ResultCode.MALFORMED_JSON);
    assertError(http.post("/transfers/batch", ""), 400, ResultCode.MALFORMED_JSON);
    assertNotPersisted(id);
    awaitCounters(a, 0, 0, 0, 0);
  }

  // ---- concurrency: idempotency over HTTP ---------------------------------------------

  @Test
  public void concurrentIdenticalCreatesTakeEffectOnceAndOnlyOneIs201() throws Exception {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String body = oneLeg(id, op, a, 25, "");
    List<Response> rs = parallel(12, i -> transfer(body));
    long created = rs.stream().filter(r -> r.status() == 201).count();
    long replayed = rs.stream().filter(r -> r.status() == 200).count();
    assertEquals(rs.toString(), 1, created);
    assertEquals(rs.toString(), 11, replayed);
    JsonNode stored = http.get("/transfers/" + id).json();
    for (Response r : rs) {
      assertEquals(stored, r.json());
    }
    awaitCounters(a, 0, 25, 0, 0);
    awaitCounters(op, 25, 0, 0, 0);
  }

  @Test
  public void concurrentCreatesWithDifferentAmountsUnderOneIdTakeExactlyOneEffect() throws Exception {
    String op = operator();
    String a = usd();
    String id = newId("t");
    List<Response> rs = parallel(12, i -> transfer(oneLeg(id, op, a, 1 + i % 3, "")));
    List<Response> winners = rs.stream().filter(r -> r.status() == 201).toList();
    assertEquals(rs.toString(), 1, winners.size());
    long amount = winners.get(0).json().get("legs").get(0).get("amount").asLong();
    for (int i = 0; i < rs.size(); i++) {
      Response r = rs.get(i);
      if (1 + i % 3 == amount) {
        assertTrue(r.body(), r.status() == 201 || r.status() == 200);
        assertEquals(winners.get(0).json(), r.json());
      } else {
        assertError(r, 409, ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
      }
    }
    awaitCounters(a, 0, amount, 0, 0);
    awaitCounters(op, amount, 0, 0, 0);
  }

  @Test
  public void concurrentPostsAndVoidsOfOnePendingTransferLetExactlyOneOutcomeWin() throws Exception {
    for (int round = 0; round < 3; round++) {
      String a = funded(100);
      String b = usd();
      String id = newId("t");
      assertEquals(201, transfer(oneLeg(id, a, b, 60, ",\"pending\":true,\"timeout_seconds\":600")).status());
      List<Response> rs = parallel(8, i -> i % 2 == 0 ? postPending(id, null) : voidPending(id));
      JsonNode finalState = http.get("/transfers/" + id).json();
      String outcome = finalState.get("status").asText();
      assertTrue(outcome, outcome.equals("posted") || outcome.equals("voided"));
      for (int i = 0; i < rs.size(); i++) {
        boolean post = i % 2 == 0;
        if (post == outcome.equals("posted")) {
          assertEquals(rs.get(i).body(), 200, rs.get(i).status());
          assertEquals(finalState, rs.get(i).json());
        } else {
          assertError(rs.get(i), 409, ResultCode.TRANSFER_NOT_PENDING);
        }
      }
      boolean posted = outcome.equals("posted");
      awaitCounters(a, posted ? 60 : 0, 100, 0, 0);
      awaitCounters(b, 0, posted ? 60 : 0, 0, 0);
    }
  }

  // ---- routing --------------------------------------------------------------------------

  @Test
  public void unknownPathsAndWrongMethodsAreJsonErrors() {
    assertError(http.get("/transfers/abc/nothing"), 404, ResultCode.NOT_FOUND);
    assertError(http.post("/transfers/abc/nothing", "{}"), 404, ResultCode.NOT_FOUND);
    assertError(http.post("/transfers/abc/post/more"), 404, ResultCode.NOT_FOUND);
    assertError(http.get("/transfer"), 404, ResultCode.NOT_FOUND);
    assertError(http.get("/transfers/"), 404, ResultCode.NOT_FOUND);
    assertError(http.get("/transfers"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("PUT", "/transfers", "{}", "application/json"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("DELETE", "/transfers/abc", "", null), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("PUT", "/transfers/abc", "{}", "application/json"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.post("/transfers/abc", "{}"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.get("/transfers/abc/post"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.get("/transfers/abc/void"), 405, ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("PUT", "/transfers/batch", "{}", "application/json"), 405,
        ResultCode.METHOD_NOT_ALLOWED);
    assertError(http.send("DELETE", "/transfers/abc/void", "", null), 405, ResultCode.METHOD_NOT_ALLOWED);
  }

  // ---- known bugs -----------------------------------------------------------------------

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

  /**
   * A batch of 1,000 transfers that all debit one settlement account (README: money enters
   * through operator accounts; a batch holds up to 1,000). Many of them time out in prepare
   * (transfer_timed_out is a documented outcome), and then the settlement account receives a
   * long run of commands it answers without persisting (late Prepares refused after their
   * deadline, VoidLeg/PostLeg of legs it no longer holds) while it is stashing behind a persist.
   * Akka 2.6.21's EventSourcedBehavior unstashes such commands recursively (akka/akka-core
   * #29933, fixed only in Akka 2.9): before akka.persistence.typed.stash-capacity was bounded
   * this overflowed the stack, a fatal error that took the ActorSystem down (in production the
   * whole JVM). Regression test for that bound.
   *
   * <p>Runs on a node of its own, with jvm-exit-on-fatal-error off so the test JVM survives, and a
   * prepare-timeout of 1.5 s (standing in for a journal slower than the in-memory one relative to
   * the deadline), which reproduced the crash on every run here without the bound. Asserted: the
   * node still answers afterwards and the books balance.
   */
  @Test
  public void aBatchOfOneThousandTransfersThroughOneAccountKeepsTheNodeUp() {
    Config config = PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(TestNodes.singleNode(Map.of("akka.jvm-exit-on-fatal-error", "off",
            "ledger.transfer.prepare-timeout", "1500ms", "ledger.auth.store", "memory")))
        .resolve();
    LedgerNode own = LedgerNode.start(config, Duration.ofSeconds(30));
    try {
      TestHttp h = new TestHttp("http://127.0.0.1:" + own.httpAddress().getPort());
      String op = "settlement";
      assertEquals(201, h.post("/accounts", "{\"id\":\"" + op + "\",\"currency\":\"USD\",\"min_balance\":null}")
          .status());
      List<String> accounts = IntStream.range(0, 10).mapToObj(i -> "hot-" + i).toList();
      for (String a : accounts) {
        assertEquals(201, h.post("/accounts", "{\"id\":\"" + a + "\",\"currency\":\"USD\"}").status());
      }
      String body = IntStream.range(0, 1000)
          .mapToObj(i -> oneLeg("hot-t-" + i, op, accounts.get(i % 10), 1, ""))
          .collect(Collectors.joining(",", "{\"transfers\":[", "]}"));
      Response r = h.post("/transfers/batch", body);
      assertEquals(r.body(), 200, r.status());
      Map<String, Long> outcomes = new TreeMap<>();
      for (JsonNode result : r.json().get("results")) {
        String key = result.get("status").asText()
            + (result.has("error") ? ":" + result.get("error").get("code").asText() : "");
        outcomes.merge(key, 1L, Long::sum);
      }
      long posted = outcomes.getOrDefault("posted", 0L);
      String context = "after a batch of 1,000 transfers through one account (batch outcomes " + outcomes + ")";
      // The node must keep answering while the accounts settle (the overloaded account may shed
      // load with 503 for a while: its stash is bounded), and the books must balance.
      long settleBy = System.nanoTime() + Duration.ofSeconds(45).toNanos();
      JsonNode settlement = null;
      do {
        sleep(250);
        JsonNode now = stillAnswers(h, "/accounts/" + op, context, true);
        settlement = now == null ? settlement : now;
      } while (System.nanoTime() < settleBy && (settlement == null || settlement.get("debits_pending").asLong() != 0
          || settlement.get("debits_posted").asLong() != posted));
      long watchUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < watchUntil) {
        sleep(250);
        settlement = stillAnswers(h, "/accounts/" + op, context);
      }
      assertEquals(0, settlement.get("debits_pending").asLong());
      assertEquals("settlement debits_posted = posted transfers " + outcomes, posted,
          settlement.get("debits_posted").asLong());
      long credited = 0;
      for (String a : accounts) {
        JsonNode acc = stillAnswers(h, "/accounts/" + a, context);
        assertEquals(0, acc.get("credits_pending").asLong());
        credited += acc.get("credits_posted").asLong();
      }
      assertEquals(posted, credited);
    } finally {
      own.stop(Duration.ofSeconds(5));
    }
  }

  private static JsonNode stillAnswers(TestHttp h, String path, String context) {
    return stillAnswers(h, path, context, false);
  }

  /** The node answers at all (else fails); null for a 503 when {@code sheddingAllowed}. */
  private static JsonNode stillAnswers(TestHttp h, String path, String context, boolean sheddingAllowed) {
    Response got;
    try {
      got = h.get(path);
    } catch (AssertionError down) {
      throw new AssertionError("the node stopped answering " + context + ": " + down.getCause(), down.getCause());
    }
    if (sheddingAllowed && got.status() == 503) {
      return null;
    }
    assertEquals("the node still answers " + context + ": " + got.body(), 200, got.status());
    return got.json();
  }
}
