package ledger.http;

import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.fields;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
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
}
