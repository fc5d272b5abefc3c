package ledger.http;

import static ledger.testing.ApiAssert.assertAnswer;
import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.assertStatus;
import static ledger.testing.Bodies.leg;
import static ledger.testing.Bodies.multi;
import static ledger.testing.Bodies.oneLeg;
import static ledger.testing.Bodies.pending;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import ledger.core.ResultCode;
import org.junit.Test;

/** Two-phase transfers: pending holds, full and partial posts, voids, expiry, and the refusals of each. */
public class TwoPhaseTransferTest extends TransferTestSupport {
  @Test
  public void pendingReservesThenAFullPostWithoutBodyPostsIt() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    JsonNode t = created(pending(id, a, b, 300, 600));
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
    assertStored(id, t);

    JsonNode p = assertStatus(postPending(id, null), 200).json();
    assertTransferShape(p);
    assertPostedInFull(p);
    assertTrue(p.get("pending").asBoolean());
    assertEquals(t.get("legs"), p.get("legs"));
    assertEquals(t.get("created_at"), p.get("created_at"));
    assertEquals(t.get("expires_at"), p.get("expires_at"));
    awaitPosted(a, 1000, b, 300);

    // The same post again is a safe retry; {"amount": <all of it>} is the same post.
    assertAnswer(postPending(id, null), 200, p);
    assertAnswer(postPending(id, "{\"amount\":300}"), 200, p);
    assertError(voidPending(id), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(p, http.get("/transfers/" + id).json());
    awaitPosted(a, 1000, b, 300);
  }

  @Test
  public void pendingWithoutTimeoutGetsTheDefaultHourAndAnEmptyObjectPostsInFull() {
    String a = funded(50);
    String b = usd();
    String id = newId("t");
    JsonNode t = created(oneLeg(id, a, b, 20, ",\"pending\":true"));
    assertEquals(3600, t.get("timeout_seconds").asLong());
    assertEquals(Instant.parse(t.get("decided_at").asText()).plusSeconds(3600),
        Instant.parse(t.get("expires_at").asText()));
    assertPostedInFull(assertStatus(postPending(id, "{}"), 200).json());
    awaitPosted(a, 50, b, 20);
  }

  @Test
  public void aPartialPostPostsThatAmountAndReleasesTheRest() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    created(pending(id, a, b, 500, 600));
    awaitHeld(a, 1000, b, 500);
    JsonNode p = assertStatus(postPending(id, "{\"amount\":200}"), 200).json();
    assertTransferShape(p);
    assertEquals("posted", p.get("status").asText());
    assertEquals(200, p.get("posted_amount").asLong());
    assertEquals(500, p.get("legs").get(0).get("amount").asLong());
    awaitPosted(a, 1000, b, 200);
    assertAnswer(postPending(id, "{\"amount\":200}"), 200, p);
    assertError(voidPending(id), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(p, http.get("/transfers/" + id).json());
    awaitPosted(a, 1000, b, 200);
  }

  @Test
  public void aPostOfTheWholeAmountIsAFullPost() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    created(pending(id, a, b, 100, 600));
    JsonNode posted = assertStatus(postPending(id, "{\"amount\":100}"), 200).json();
    assertPostedInFull(posted);
    assertEquals(posted, postPending(id, null).json());
    awaitPosted(a, 100, b, 100);
  }

  @Test
  public void badPostsAre400AndLeaveTheTransferPending() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    JsonNode created = created(pending(id, a, b, 500, 600));
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
    assertEquals(created, http.get("/transfers/" + id).json());
    awaitHeld(a, 1000, b, 500);
  }

  @Test
  public void voidReleasesThePendingAmountAndIsASafeRetry() {
    String a = funded(1000);
    String b = usd();
    String id = newId("t");
    JsonNode created = created(pending(id, a, b, 400, 600));
    awaitCounters(a, 0, 1000, 400, 0);
    JsonNode v = assertStatus(voidPending(id), 200).json();
    assertTransferShape(v);
    assertEquals("voided", v.get("status").asText());
    assertTrue(v.get("posted_amount").isNull());
    assertTrue(v.get("rejection").isNull());
    assertEquals(created.get("expires_at"), v.get("expires_at"));
    awaitCounters(a, 0, 1000, 0, 0);
    awaitUntouched(b);
    assertAnswer(voidPending(id), 200, v);
    assertError(postPending(id, null), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertError(postPending(id, "{\"amount\":1}"), 409, ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(v, http.get("/transfers/" + id).json());
    awaitCounters(a, 0, 1000, 0, 0);
    awaitUntouched(b);
  }

  @Test
  public void multiLegPendingPostsOnlyInFull() {
    String op = operator();
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    JsonNode created = created(multi(id, ",\"pending\":true,\"timeout_seconds\":600", leg(a, b, 30), leg(op, b, 7)));
    awaitCounters(a, 0, 100, 30, 0);
    awaitCounters(b, 0, 0, 0, 37);
    assertError(postPending(id, "{\"amount\":10}"), 400, ResultCode.INVALID_AMOUNT);
    assertError(postPending(id, "{\"amount\":30}"), 400, ResultCode.INVALID_AMOUNT);
    assertEquals(created, http.get("/transfers/" + id).json());
    assertPostedInFull(assertStatus(postPending(id, null), 200).json());
    awaitCounters(a, 30, 100, 0, 0);
    awaitCounters(b, 0, 37, 0, 0);
    awaitCounters(op, 7, 0, 0, 0);
  }

  @Test
  public void aPendingTransferCanBePostedAfterItsAccountWasLocked() {
    String a = funded(100);
    String b = usd();
    String id = newId("t");
    created(pending(id, a, b, 60, 600));
    assertEquals(200, http.post("/accounts/" + b + "/lock").status());
    assertEquals(200, http.post("/accounts/" + a + "/lock").status());
    assertStatus(postPending(id, null), 200);
    awaitPosted(a, 100, b, 60);
  }

  @Test
  public void postOrVoidOfATransferThatIsNotPendingIs409() {
    String op = operator();
    String a = usd();
    String posted = newId("t");
    created(oneLeg(posted, op, a, 5, ""));
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
    JsonNode c = created(pending(id, a, b, 40, 1));
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
    awaitUntouched(b);

    assertError(postPending(id, null), 409, ResultCode.TRANSFER_EXPIRED);
    assertError(postPending(id, "{\"amount\":10}"), 409, ResultCode.TRANSFER_EXPIRED);
    assertError(voidPending(id), 409, ResultCode.TRANSFER_EXPIRED);
    assertEquals(t, http.get("/transfers/" + id).json());
    // The create retried answers the expired record.
    assertAnswer(transfer(pending(id, a, b, 40, 1)), 200, t);
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
}
