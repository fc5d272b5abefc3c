package ledger.http;

import static ledger.testing.ApiAssert.assertAnswer;
import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.fields;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
import static ledger.testing.Bodies.raw;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.stream.IntStream;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestIds;
import org.junit.Test;

/** Creating transfers of one leg and of several, and the idempotency of a create under one id. */
public class TransferCreateTest extends TransferTestSupport {
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
    assertPostedOnePhase(t);
    assertEquals(json("{\"a\":\"1\",\"b\":\"2\"}"), t.get("metadata"));

    awaitCounters(op, 500, 0, 0, 0);
    awaitCounters(alice, 0, 500, 0, 0);
    assertStored(id, t);
  }

  @Test
  public void multiLegTransferAnswers201AndPostsEveryLeg() {
    String op = operator();
    String a = funded(1000);
    String b = funded(500);
    String id = newId("t");
    JsonNode t = created(multi(id, "", leg(a, b, 300), leg(b, op, 100), leg(op, a, 50)));
    assertTransferShape(t);
    assertEquals(json("[" + leg(a, b, 300) + "," + leg(b, op, 100) + "," + leg(op, a, 50) + "]"), t.get("legs"));
    assertPostedOnePhase(t);
    assertEquals(0, t.get("metadata").size());
    awaitCounters(a, 300, 1050, 0, 0);
    awaitCounters(b, 100, 800, 0, 0);
    awaitCounters(op, 50, 100, 0, 0);
    assertEquals(t, http.get("/transfers/" + id).json());

    // Each leg in its own currency; an account touched in another currency refuses.
    String eurOp = account("EUR", ",\"min_balance\":null");
    String eur = account("EUR", "");
    String mixed = newId("t");
    created(multi(mixed, "", leg(a, b, 1), leg(eurOp, eur, 2, "EUR")));
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
    String id = TestIds.next("T0.a:b_c");
    assertEquals(created(oneLeg(id, op, a, 2, "")), http.get("/transfers/" + id).json());
    // "batch" is a valid transfer id: GET and post/void reach it, POST /transfers/batch stays the batch.
    assertError(http.get("/transfers/batch"), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertEquals(created(oneLeg("batch", op, a, 3, ",\"pending\":true")), http.get("/transfers/batch").json());
    assertEquals("voided", voidPending("batch").json().get("status").asText());
    awaitCounters(a, 0, 2, 0, 0);
  }

  @Test
  public void sixteenLegsAreAcceptedAndSeventeenAreTooMany() {
    String op = operator();
    String a = usd();
    String id = newId("t");
    String[] sixteen = IntStream.rangeClosed(1, 16).mapToObj(i -> leg(op, a, i)).toArray(String[]::new);
    assertEquals(16, created(multi(id, "", sixteen)).get("legs").size());
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
    JsonNode first = created(oneLeg(id, op, a, 70, ",\"metadata\":{\"x\":\"1\",\"y\":\"2\"}"));
    awaitCounters(a, 0, 70, 0, 0);
    assertAnswer(transfer(oneLeg(id, op, a, 70, ",\"metadata\":{\"y\":\"2\",\"x\":\"1\"}")), 200, first);
    // The multi-leg form of the very same single leg is the same request.
    assertAnswer(transfer(multi(id, ",\"metadata\":{\"x\":\"1\",\"y\":\"2\"}", leg(op, a, 70))), 200,
        first);

    String m = newId("t");
    JsonNode multiFirst = created(multi(m, ",\"pending\":false", leg(op, a, 5), leg(op, a, 6)));
    assertAnswer(transfer(multi(m, "", leg(op, a, 5), leg(op, a, 6))), 200, multiFirst);

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
    JsonNode first = created(oneLeg(id, op, a, 40, base + meta));
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
    created(multi(m, "", leg(op, a, 1), leg(op, a, 2)));
    assertError(transfer(multi(m, "", leg(op, a, 2), leg(op, a, 1))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, "", leg(op, a, 1))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, "", leg(op, a, 1), leg(op, a, 3))), 409, ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertError(transfer(multi(m, ",\"pending\":true", leg(op, a, 1), leg(op, a, 2))), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertError(transfer(multi(m, ",\"metadata\":{\"k\":\"v\"}", leg(op, a, 1), leg(op, a, 2))), 409,
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);

    // Nothing changed: the first is still pending as it was, the second posted once.
    assertEquals(first, http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 3, 0, 40);
    awaitCounters(op, 3, 0, 40, 0);
    awaitUntouched(other);
  }
}
