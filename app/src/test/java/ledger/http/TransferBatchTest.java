package ledger.http;

import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.assertNoStackTrace;
import static ledger.testing.ApiAssert.fieldNames;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import ledger.LedgerNode;
import ledger.core.ResultCode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * POST /transfers/batch: each element on its own, in request order, within the bounds; and a
 * batch of 1,000 through one account that once took the node down.
 */
public class TransferBatchTest extends TransferTestSupport {
  // ---- batch ----------------------------------------------------------------------------

  @Test
  public void batchAnswersEachElementInRequestOrder() {
    String op = operator();
    String a = usd();
    String existing = newId("t");
    created(oneLeg(existing, op, a, 7, ""));
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
    awaitUntouched(a);
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
    awaitUntouched(a);
  }

  // ---- regression: a batch through one account (akka/akka-core #29933) -------------------

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
            "ledger.transfer.prepare-timeout", "1500ms", "ledger.auth.store", "memory",
            // The coordinators journal in memory too: on the default Cassandra journal (absent
            // here) every transfer failed, the test passed on none posted, and the node kept
            // restarting 1,000 coordinators after the class ended, slowing every later test.
            "ledger.transfer.journal-plugin", "", "ledger.journal.implementation", "default",
            // Nothing to fence on the in-memory journal; on, the node would wait for a node lease
            // in a Cassandra that is not there, and no shard would start.
            "ledger.fencing.enabled", "off")))
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
      assertTrue("the batch posted transfers: " + context, posted > 0);
      // The node must keep answering while the accounts settle (the overloaded account may shed
      // load with 503 for a while: its stash is bounded), and the books must balance.
      // "unavailable" is an unknown outcome: such a transfer may still be posted after the answer.
      long unknown = outcomes.getOrDefault("failed:unavailable", 0L);
      long settleBy = System.nanoTime() + Duration.ofSeconds(45).toNanos();
      JsonNode settlement = null;
      do {
        sleep(250);
        JsonNode now = stillAnswers(h, "/accounts/" + op, context, true);
        settlement = now == null ? settlement : now;
      } while (System.nanoTime() < settleBy && (settlement == null || settlement.get("debits_pending").asLong() != 0
          || settlement.get("debits_posted").asLong() < posted));
      long watchUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < watchUntil) {
        sleep(250);
        settlement = stillAnswers(h, "/accounts/" + op, context);
      }
      assertEquals(0, settlement.get("debits_pending").asLong());
      long settled = settlement.get("debits_posted").asLong();
      assertTrue("settlement debits_posted " + settled + " covers every posted transfer and at most the unknown "
          + "ones " + outcomes, settled >= posted && settled <= posted + unknown);
      long credited = 0;
      for (String a : accounts) {
        JsonNode acc = stillAnswers(h, "/accounts/" + a, context);
        assertEquals(0, acc.get("credits_pending").asLong());
        credited += acc.get("credits_posted").asLong();
      }
      assertEquals("S1: what the settlement account paid, the others received", settled, credited);
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
