package ledger.auth;

import static ledger.testing.ApiAssert.assertError;
import static ledger.testing.ApiAssert.assertOk;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import ledger.cassandra.CassandraConnection;
import ledger.core.ResultCode;
import ledger.testing.Bodies;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestKeys;
import org.junit.After;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Two tenants (keys limited to "ta-" and "tb-", every non-ops scope) doing everything to each
 * other's ids on a node on the test Cassandra: every answer is the one a missing account or
 * transfer gets, the listing shows only the caller's accounts (page by page), and afterwards
 * nothing of the other tenant has changed.
 */
public class TenantIsolationTest {
  private static final EnumSet<Scope> TENANT_SCOPES = EnumSet.complementOf(EnumSet.of(Scope.OPS_READ, Scope.OPS_ADMIN));
  @ClassRule
  public static final RunningNode node = RunningNode.onCassandra();
  private static TestHttp admin;
  private static TestHttp a;
  private static TestHttp b;

  @BeforeClass
  public static void start() {
    var config = node.config();
    admin = node.http();
    KeyHasher hasher = KeyHasher.fromBase64(TestKeys.hashKey());
    try (CqlSession session = CassandraConnection.openSession(config)) {
      CassandraKeyStore store = new CassandraKeyStore(() -> CompletableFuture.completedFuture(session),
          config.getString("ledger.cassandra.keyspace"), Duration.ofSeconds(10));
      a = admin.withKey(tenant(store, hasher, "ta-").text());
      b = admin.withKey(tenant(store, hasher, "tb-").text());
    }
    for (TestHttp t : List.of(a, b)) {
      String p = t == a ? "ta-" : "tb-";
      assertOk(t.post("/accounts", Bodies.account(p + "src", "USD", ",\"min_balance\":null")));
      for (int i = 1; i <= 3; i++) {
        assertOk(t.post("/accounts", Bodies.account(p + i, "USD", "")));
      }
      assertOk(t.post("/transfers", transfer(p + "t1", p + "src", p + "1", false)));
      assertOk(t.post("/transfers", transfer(p + "hold", p + "src", p + "2", true)));
    }
    // Accounts no tenant owns, that an unlimited key made.
    assertOk(admin.post("/accounts", Bodies.account("tz-1", "USD", "")));
  }

  private static ApiKey tenant(CassandraKeyStore store, KeyHasher hasher, String prefix) {
    ApiKey key = ApiKey.generate();
    store.insertIfAbsent(new KeyRecord(key.id(), hasher.hash(key.secret()), "tenant " + prefix, TENANT_SCOPES,
        List.of(prefix), Instant.now(), null, null)).toCompletableFuture().join();
    return key;
  }

  private static String transfer(String id, String debit, String credit, boolean pending) {
    return Bodies.oneLeg(id, debit, credit, 10, pending ? ",\"pending\":true" : "");
  }

  /** Another tenant's id answers exactly as a missing id of that tenant would (only the id differs). */
  private static void assertSameAsMissing(String method, String path, String body, String foreign, String missing) {
    Response toForeign = a.send(method, path.replace("{}", foreign), body == null ? null : body.replace("{}", foreign),
        body == null ? null : "application/json");
    Response toMissing = a.send(method, path.replace("{}", missing), body == null ? null : body.replace("{}", missing),
        body == null ? null : "application/json");
    assertEquals(method + " " + path + ": " + toForeign.body(), toMissing.status(), toForeign.status());
    assertEquals(method + " " + path, toMissing.body().replace(missing, "ID").replaceAll("\"(created|decided)_at\":\"[^\"]+\"", ""),
        toForeign.body().replace(foreign, "ID").replaceAll("\"(created|decided)_at\":\"[^\"]+\"", ""));
  }

  @Test
  public void anotherTenantsAccountsAnswerAsIfTheyDidNotExist() {
    for (String foreign : List.of("tb-1", "tz-1")) {
      assertSameAsMissing("GET", "/accounts/{}", null, foreign, "ta-missing");
      assertError(a.get("/accounts/" + foreign), 404, ResultCode.ACCOUNT_NOT_FOUND);
      for (String action : List.of("lock", "unlock", "close")) {
        assertSameAsMissing("POST", "/accounts/{}/" + action, null, foreign, "ta-missing");
      }
      assertSameAsMissing("PATCH", "/accounts/{}", "{\"metadata\":{\"x\":\"y\"}}", foreign, "ta-missing");
      for (String q : List.of("entries", "balance", "transfers")) {
        assertSameAsMissing("GET", "/accounts/{}/" + q, null, foreign, "ta-missing");
      }
    }
    // Creating an account outside its prefixes: 403 whether or not the id exists.
    assertError(a.post("/accounts", "{\"id\":\"tb-1\",\"currency\":\"USD\"}"), 403, ResultCode.FORBIDDEN);
    assertError(a.post("/accounts", "{\"id\":\"tb-new\",\"currency\":\"USD\"}"), 403, ResultCode.FORBIDDEN);
    assertError(admin.get("/accounts/tb-new"), 404, ResultCode.ACCOUNT_NOT_FOUND);
  }

  @Test
  public void aTransferWithALegOfAnotherTenantIsRefusedAsForAMissingAccount() {
    assertSameAsMissing("POST", "/transfers", transfer("ta-x1", "ta-src", "{}", false), "tb-1", "ta-missing");
    Response r = a.post("/transfers", transfer("ta-x2", "tb-src", "ta-1", false));
    assertEquals(r.body(), 422, r.status());
    assertEquals("account_not_found", r.errorCode());
    assertEquals("tb-src", r.json().get("error").get("account_id").asText());
    Response multi = a.post("/transfers", "{\"id\":\"ta-x3\",\"legs\":[{\"debit_account_id\":\"ta-src\","
        + "\"credit_account_id\":\"ta-1\",\"amount\":1,\"currency\":\"USD\"},{\"debit_account_id\":\"ta-src\","
        + "\"credit_account_id\":\"tb-2\",\"amount\":1,\"currency\":\"USD\"}]}");
    assertEquals(multi.body(), 422, multi.status());
    assertEquals("tb-2", multi.json().get("error").get("account_id").asText());
    Response batch = a.post("/transfers/batch", "{\"transfers\":[" + transfer("ta-b1", "ta-src", "ta-3", false) + ","
        + transfer("ta-b2", "ta-src", "tb-3", false) + "]}");
    assertEquals(batch.body(), 200, batch.status());
    JsonNode results = batch.json().get("results");
    assertEquals("posted", results.get(0).get("status").asText());
    assertEquals("rejected", results.get(1).get("status").asText());
    assertEquals("account_not_found", results.get(1).get("error").get("code").asText());
    // Refused before any entity heard of them: no record kept.
    assertEquals(404, admin.get("/transfers/ta-x2").status());
    assertEquals(404, admin.get("/transfers/ta-b2").status());
  }

  @Test
  public void anotherTenantsTransfersAnswerAsIfTheyDidNotExist() {
    assertSameAsMissing("GET", "/transfers/{}", null, "tb-t1", "ta-none");
    assertError(a.get("/transfers/tb-t1"), 404, ResultCode.TRANSFER_NOT_FOUND);
    assertSameAsMissing("POST", "/transfers/{}/post", null, "tb-hold", "ta-none");
    assertSameAsMissing("POST", "/transfers/{}/void", null, "tb-hold", "ta-none");
    assertError(a.post("/transfers/tb-hold/post", "{\"amount\":1}"), 404, ResultCode.TRANSFER_NOT_FOUND);
    // A create with an id outside A's prefixes: 403 whether or not the id exists (B's, or new).
    assertError(a.post("/transfers", transfer("tb-t1", "ta-src", "ta-1", false)), 403, ResultCode.FORBIDDEN);
    assertError(a.post("/transfers", transfer("tb-new", "ta-src", "ta-1", false)), 403, ResultCode.FORBIDDEN);
    assertError(admin.get("/transfers/tb-new"), 404, ResultCode.TRANSFER_NOT_FOUND);
    Response batch = a.post("/transfers/batch", "{\"transfers\":[" + transfer("tb-t1", "ta-src", "ta-1", false) + "]}");
    assertEquals("forbidden", batch.json().get("results").get(0).get("error").get("code").asText());
    // An id under A's prefix that an unlimited key used for others' accounts (refused, so stored
    // and changing nothing): A's create with it answers as for a transfer it cannot see.
    assertEquals(422, admin.post("/transfers", transfer("ta-by-admin", "tz-1", "tb-1", false)).status());
    assertError(a.post("/transfers", transfer("ta-by-admin", "ta-src", "ta-1", false)), 404,
        ResultCode.TRANSFER_NOT_FOUND);
    // Its own transfers it still sees and retries.
    assertEquals(200, a.get("/transfers/ta-t1").status());
    assertEquals(200, a.post("/transfers", transfer("ta-t1", "ta-src", "ta-1", false)).status());
  }

  @Test
  public void listingsShowOnlyTheCallersAccountsPageByPage() throws Exception {
    List<String> expected = List.of("ta-1", "ta-2", "ta-3", "ta-src");
    List<String> all = awaitListed(a, 1, expected);
    assertEquals(expected, all);
    assertEquals(expected, pages(a, 3));
    assertEquals(expected, pages(a, 100));
    // Each account reaches the listing through the projection of its own tag: wait for all three.
    List<String> everything = awaitListed(admin, 100, List.of("ta-1", "tb-1", "tz-1"));
    assertTrue(everything.toString(), everything.containsAll(List.of("ta-1", "tb-1", "tz-1")));
    List<String> ofB = pages(b, 2);
    assertTrue(ofB.toString(), ofB.stream().allMatch(id -> id.startsWith("tb-")) && ofB.contains("tb-1"));
    assertEquals(List.of("ta-src"), ids(a.get("/accounts?after=ta-3").json()));
    assertEquals(List.of(), ids(a.get("/accounts?after=tb-").json()));
  }

  @Test
  public void aTenantHasNoOperationsScopes() {
    assertError(a.get("/recon"), 403, ResultCode.FORBIDDEN);
    assertError(a.get("/metrics"), 403, ResultCode.FORBIDDEN);
    assertError(a.post("/recon/run"), 403, ResultCode.FORBIDDEN);
  }

  /** Whatever A tried left B's accounts and transfers as they were (after each test: any order). */
  @After
  public void theOtherTenantIsUnchanged() {
    JsonNode b1 = admin.get("/accounts/tb-1").json();
    assertEquals("open", b1.get("status").asText());
    assertEquals(10, b1.get("balance").asLong());
    assertEquals(0, b1.get("metadata").size());
    assertEquals("pending", admin.get("/transfers/tb-hold").json().get("status").asText());
    assertEquals(20, admin.get("/accounts/tb-src").json().get("debits_posted").asLong()
        + admin.get("/accounts/tb-src").json().get("debits_pending").asLong());
    assertEquals(0, admin.get("/accounts/tb-3").json().get("credits_posted").asLong());
    assertEquals(1, admin.get("/accounts/tb-3").json().get("version").asLong());
    assertEquals(404, admin.get("/accounts/tb-new").status());
  }

  /** The whole listing once it holds {@code ids} (the query side is eventually consistent), at most 30 s. */
  private static List<String> awaitListed(TestHttp client, int limit, List<String> ids) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<String> all = pages(client, limit);
    while (!all.containsAll(ids) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      all = pages(client, limit);
    }
    return all;
  }

  private static List<String> pages(TestHttp client, int limit) {
    List<String> ids = new ArrayList<>();
    String after = null;
    for (int i = 0; i < 1000; i++) {
      JsonNode page = client.get("/accounts?limit=" + limit + (after == null ? "" : "&after=" + after)).json();
      ids.addAll(ids(page));
      if (page.get("next").isNull()) {
        return ids;
      }
      after = page.get("next").asText();
    }
    throw new AssertionError("no end of the listing");
  }

  private static List<String> ids(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.get("accounts").forEach(acc -> ids.add(acc.get("id").asText()));
    return ids;
  }
}
