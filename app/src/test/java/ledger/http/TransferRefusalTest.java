package ledger.http;

import static ledger.testing.ApiAssert.assertAnswer;
import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.fields;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
import static ledger.testing.Bodies.pending;
import static ledger.testing.Bodies.raw;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;
import org.junit.Test;

/**
 * Business refusals (422): the transfer is recorded rejected, names the refusing account, and
 * moves nothing.
 */
public class TransferRefusalTest extends TransferTestSupport {
  @Test
  public void missingAccountIsRejected422AndStaysRejected() {
    String op = operator();
    String missing = newId("nobody");
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, missing, 10, ""));
    JsonNode t = assertRejected(r, id, ResultCode.ACCOUNT_NOT_FOUND, missing);
    assertEquals(json("[" + leg(op, missing, 10) + "]"), t.get("legs"));
    assertFalse(t.get("pending").asBoolean());
    awaitUntouched(op);
    // The account appears; the id stays rejected with the same answer.
    assertEquals(201, http.post("/accounts", "{\"id\":\"" + missing + "\",\"currency\":\"USD\"}").status());
    assertAnswer(transfer(oneLeg(id, op, missing, 10, "")), 422, r.json());
    assertStored(id, t);
    awaitUntouched(missing, op);
  }

  @Test
  public void lockedAccountIsRejected422AndTheIdStaysRejectedAfterUnlocking() {
    String op = operator();
    String a = usd();
    assertEquals(200, http.post("/accounts/" + a + "/lock").status());
    String id = newId("t");
    Response r = transfer(oneLeg(id, op, a, 10, ""));
    assertRejected(r, id, ResultCode.ACCOUNT_LOCKED, a);
    awaitUntouched(op, a);
    // Locked refuses on the debit side too.
    String debit = newId("t");
    assertRejected(transfer(oneLeg(debit, a, op, 1, "")), debit, ResultCode.ACCOUNT_LOCKED, a);

    assertEquals(200, http.post("/accounts/" + a + "/unlock").status());
    assertAnswer(transfer(oneLeg(id, op, a, 10, "")), 422, r.json());
    assertEquals(r.json().get("transfer"), http.get("/transfers/" + id).json());
    awaitUntouched(a);
    // A new id goes through now.
    created(oneLeg(newId("t"), op, a, 10, ""));
    awaitCounters(a, 0, 10, 0, 0);
  }

  @Test
  public void closedAccountIsRejected422() {
    String op = operator();
    String a = usd();
    assertEquals(200, http.post("/accounts/" + a + "/close").status());
    String id = newId("t");
    assertRejectedTwice(oneLeg(id, op, a, 10, ""), id, ResultCode.ACCOUNT_CLOSED, a);
    awaitUntouched(op, a);
  }

  @Test
  public void currencyMismatchIsRejected422() {
    String op = operator();
    String euros = account("EUR", "");
    String id = newId("t");
    assertRejectedTwice(oneLeg(id, op, euros, 10, ""), id, ResultCode.CURRENCY_MISMATCH, euros);
    // The debit account is asked first: a leg in a currency neither has names the debit account.
    String id2 = newId("t");
    Map<String, String> f = fields(id2, op, euros);
    f.put("currency", "\"GBP\"");
    assertRejected(transfer(raw(f)), id2, ResultCode.CURRENCY_MISMATCH, op);
    awaitUntouched(op, euros);
  }

  @Test
  public void exceedsMinBalanceIsRejected422AndTheExactBalanceStillGoes() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    assertRejectedTwice(oneLeg(id, a, b, 101, ""), id, ResultCode.EXCEEDS_MIN_BALANCE, a);
    awaitCounters(a, 0, 100, 0, 0);
    awaitUntouched(b);
    created(oneLeg(newId("t"), a, b, 100, ""));
    awaitPosted(a, 100, b, 100);
  }

  @Test
  public void exceedsMaxBalanceIsRejected422() {
    String op = operator();
    String capped = account("USD", ",\"max_balance\":100");
    String id = newId("t");
    assertRejectedTwice(oneLeg(id, op, capped, 101, ""), id, ResultCode.EXCEEDS_MAX_BALANCE, capped);
    awaitUntouched(op, capped);
    created(oneLeg(newId("t"), op, capped, 100, ""));
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
    JsonNode full = created(oneLeg(newId("t"), op1, big, MAX, ""));
    assertEquals(MAX, full.get("legs").get(0).get("amount").asLong());
    awaitCounters(big, 0, MAX, 0, 0);
    awaitCounters(op1, MAX, 0, 0, 0);
    String id = newId("t");
    assertRejectedTwice(oneLeg(id, op2, big, 1, ""), id, ResultCode.OVERFLOW, big);
    awaitUntouched(op2);
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
    JsonNode t = assertRejectedTwice(multi(id, "", leg(op, a, 10), leg(op, locked, 5)), id, ResultCode.ACCOUNT_LOCKED,
        locked);
    assertEquals(2, t.get("legs").size());
    awaitUntouched(op, a, locked);
  }

  @Test
  public void aRejectedPendingTransferRecordsItsRequestAndReservesNothing() {
    String a = funded(10);
    String b = usd();
    String id = newId("t");
    JsonNode t = assertRejected(transfer(pending(id, a, b, 11, 60)), id, ResultCode.EXCEEDS_MIN_BALANCE, a);
    assertTrue(t.get("pending").asBoolean());
    assertEquals(60, t.get("timeout_seconds").asLong());
    assertTrue(t.get("expires_at").isNull());
    awaitCounters(a, 0, 10, 0, 0);
    awaitUntouched(b);
  }
}
