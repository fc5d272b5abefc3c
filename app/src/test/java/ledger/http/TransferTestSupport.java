package ledger.http;

import static ledger.testing.ApiAssert.assertAnswer;
import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.assertNoStackTrace;
import static ledger.testing.ApiAssert.assertStatus;
import static ledger.testing.ApiAssert.fieldNames;
import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.oneLeg;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import ledger.core.ResultCode;
import ledger.testing.Bodies;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestIds;
import org.junit.BeforeClass;
import org.junit.ClassRule;

/**
 * What the transfer route tests share: every endpoint and error code of docs/api.md "Transfers"
 * (and the README decisions where docs/api.md is silent), over a real socket to a real node
 * (in-memory journal, shared by the classes). Balances are checked exactly on the accounts (the
 * post to the accounts is asynchronous: they are polled until their counters settle); every
 * refusal is checked to have persisted nothing.
 */
public abstract class TransferTestSupport {
  static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
  static final Set<String> TRANSFER_FIELDS = Set.of("id", "legs", "status", "rejection", "pending",
      "timeout_seconds", "expires_at", "metadata", "created_at", "decided_at", "posted_amount");
  static final long MAX = Long.MAX_VALUE;
  static final Duration SETTLE = Duration.ofSeconds(5);

  @ClassRule
  public static final RunningNode node = RunningNode.inMemory();
  static TestHttp http;

  @BeforeClass
  public static void connect() {
    http = node.http();
  }

  static String newId(String prefix) {
    return TestIds.next(prefix);
  }

  static String account(String currency, String extra) {
    String id = newId("acc");
    Response r = http.post("/accounts", Bodies.account(id, currency, extra));
    assertEquals(r.body(), 201, r.status());
    return id;
  }

  /** A USD account with the default limits (min 0, no max). */
  static String usd() {
    return account("USD", "");
  }

  /** A USD operator account: it may go negative without bound. */
  static String operator() {
    return account("USD", ",\"min_balance\":null");
  }

  /** A USD account holding {@code amount}, credited by a fresh operator account. */
  static String funded(long amount) {
    String a = usd();
    assertEquals(201, transfer(oneLeg(newId("fund"), operator(), a, amount, "")).status());
    awaitCounters(a, 0, amount, 0, 0);
    return a;
  }

  static Response transfer(String body) {
    return http.post("/transfers", body);
  }

  /** Creates a transfer that must answer 201; returns the transfer. */
  static JsonNode created(String body) {
    return assertStatus(transfer(body), 201).json();
  }

  /** A one-phase transfer as decided posted: no rejection, timeout, expiry or partial amount. */
  static void assertPostedOnePhase(JsonNode t) {
    assertEquals("posted", t.get("status").asText());
    assertTrue(t.get("rejection").isNull());
    assertFalse(t.get("pending").asBoolean());
    assertTrue(t.get("timeout_seconds").isNull());
    assertTrue(t.get("expires_at").isNull());
    assertTrue(t.get("posted_amount").isNull());
  }

  /** GET /transfers/{id} answers 200 with exactly {@code expected}. */
  static void assertStored(String transferId, JsonNode expected) {
    assertAnswer(http.get("/transfers/" + transferId), 200, expected);
  }

  /** A transfer posted in full: status posted and no partial amount. */
  static void assertPostedInFull(JsonNode t) {
    assertEquals(t.toString(), "posted", t.get("status").asText());
    assertTrue(t.toString(), t.get("posted_amount").isNull());
  }

  static void assertNotPersisted(String transferId) {
    assertError(http.get("/transfers/" + transferId), 404, ResultCode.TRANSFER_NOT_FOUND);
  }

  /** A 400 with {@code code}, after which the transfer does not exist. */
  static void assertInvalid(String body, ResultCode code, String transferId) {
    assertError(transfer(body), 400, code);
    assertNotPersisted(transferId);
  }

  /** The exact field set of docs/api.md's Transfer, and the shape of its times. */
  static void assertTransferShape(JsonNode t) {
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
  static JsonNode assertRejected(Response r, String transferId, ResultCode code, String accountId) {
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

  /** As {@link #assertRejected}, and the same request again answers the same: the id stays rejected. */
  static JsonNode assertRejectedTwice(String body, String transferId, ResultCode code, String accountId) {
    Response r = transfer(body);
    JsonNode t = assertRejected(r, transferId, code, accountId);
    assertAnswer(transfer(body), 422, r.json());
    return t;
  }

  /**
   * Polls the account until its four counters are exactly these (the post to the accounts is
   * asynchronous), then checks the derived balance and available too.
   */
  static JsonNode awaitCounters(String accountId, long debitsPosted, long creditsPosted, long debitsPending,
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

  /** Each of these accounts settles with all four counters zero: nothing moved or held. */
  static void awaitUntouched(String... accountIds) {
    for (String accountId : accountIds) {
      awaitCounters(accountId, 0, 0, 0, 0);
    }
  }

  /**
   * {@code amount} is held from {@code debit} (which holds {@code debitCredits} posted credits
   * and no posted debits) for {@code credit} (which has nothing else).
   */
  static void awaitHeld(String debit, long debitCredits, String credit, long amount) {
    awaitCounters(debit, 0, debitCredits, amount, 0);
    awaitCounters(credit, 0, 0, 0, amount);
  }

  /**
   * {@code amount} is posted from {@code debit} (which holds {@code debitCredits} posted
   * credits) to {@code credit} (which has nothing else), and nothing is held any more.
   */
  static void awaitPosted(String debit, long debitCredits, String credit, long amount) {
    awaitCounters(debit, amount, debitCredits, 0, 0);
    awaitCounters(credit, 0, amount, 0, 0);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Runs {@code n} requests at once (released together), answers in index order. */
  static List<Response> parallel(int n, IntFunction<Response> request) throws Exception {
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

  static Response postPending(String id, String body) {
    return body == null ? http.post("/transfers/" + id + "/post") : http.post("/transfers/" + id + "/post", body);
  }

  static Response voidPending(String id) {
    return http.post("/transfers/" + id + "/void");
  }
}
