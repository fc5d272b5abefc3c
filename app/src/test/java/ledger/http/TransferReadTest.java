package ledger.http;

import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.json;
import static ledger.testing.Bodies.oneLeg;
import static org.junit.Assert.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;
import org.junit.Test;

/** GET /transfers/{id} in every status, and the JSON errors of unknown paths and wrong methods. */
public class TransferReadTest extends TransferTestSupport {
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
}
