package ledger.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import ledger.core.ResultCode;
import ledger.testing.TestHttp.Response;

/** Assertions on answers of the API. */
public final class ApiAssert {
  private ApiAssert() {}

  /** A docs/api.md error: this status and code, a message, and no stack trace. */
  public static void assertError(Response r, int status, ResultCode code) {
    assertEquals(r.body(), status, r.status());
    assertEquals(r.body(), code.wire(), r.errorCode());
    assertTrue("error has a message", r.json().path("error").path("message").isTextual());
    assertNoStackTrace(r);
  }

  /** This status (the body in the failure message); returns the answer for more checks. */
  public static Response assertStatus(Response r, int status) {
    assertEquals(r.body(), status, r.status());
    return r;
  }

  /** This status and exactly this JSON body (a retry answering what the first request did). */
  public static void assertAnswer(Response r, int status, JsonNode expected) {
    assertStatus(r, status);
    assertEquals(expected, r.json());
  }

  public static void assertNoStackTrace(Response r) {
    assertFalse("no stack trace leaks: " + r.body(), r.body().contains("\tat ") || r.body().contains("Exception"));
  }

  /** 200 or 201. */
  public static void assertOk(Response r) {
    assertTrue(r.body(), r.status() == 200 || r.status() == 201);
  }

  public static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  public static JsonNode json(String text) {
    try {
      return TestHttp.JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
