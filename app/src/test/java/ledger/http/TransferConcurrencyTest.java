package ledger.http;

import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.Bodies.oneLeg;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;
import org.junit.Test;

/**
 * Idempotency over HTTP under concurrency: identical and conflicting creates, and posts racing
 * voids, under one id.
 */
public class TransferConcurrencyTest extends TransferTestSupport {
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
}
