package ledger.auth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import ledger.LedgerNode;
import ledger.testing.StandInIdp;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Bearer JWTs from an identity provider stood in for by a key pair made here and its JWKS served
 * by a small HTTP server: signature, issuer, audience, exp, algorithm, scopes and account
 * prefixes are all checked; API keys keep working beside them.
 */
public class JwtTest {
  private static StandInIdp idp;
  private static RsaJsonWebKey signing;
  private static LedgerNode node;
  private static TestHttp http;

  @BeforeClass
  public static void start() throws Exception {
    idp = StandInIdp.start();
    signing = idp.signing();
    var config = ConfigFactory.parseMap(Map.of("ledger.auth.jwt.fetch-timeout", "1s"))
        .withFallback(ConfigFactory.parseMap(idp.nodeConfig()))
        .withFallback(TestNodes.inMemoryNode());
    node = LedgerNode.start(config, Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
  }

  @AfterClass
  public static void stop() {
    node.stop(Duration.ofSeconds(30));
    idp.close();
  }

  private static Response get(String token, String path) {
    return http.withKey(token).get(path);
  }

  private static void assertInvalid(Response r, String what) {
    assertEquals(what + ": " + r.body(), 401, r.status());
    assertEquals("unauthenticated", r.errorCode());
    assertEquals("Bearer error=\"invalid_token\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
  }

  @Test
  public void aValidTokenActsWithItsScopes() throws Exception {
    String token = idp.token(c -> { });
    assertEquals(404, get(token, "/accounts/jwt-none").status());
    TestHttp caller = http.withKey(token);
    assertEquals(201, caller.post("/accounts", "{\"id\":\"jwt-1\",\"currency\":\"USD\"}").status());
    Response r = caller.post("/transfers", "{}");
    assertEquals(r.body(), 403, r.status());
    assertEquals("this key lacks the scope transfers:write", r.json().get("error").get("message").asText());
    String listed = idp.token(c -> c.setStringListClaim("scope", List.of("transfers:read", "nonsense")));
    assertEquals(404, get(listed, "/transfers/jwt-none").status());
    assertEquals(403, get(listed, "/accounts/jwt-1").status());
    assertEquals("API keys still work", 200, http.get("/accounts/jwt-1").status());
  }

  @Test
  public void everyInvalidTokenIs401() throws Exception {
    assertInvalid(get(idp.token(c -> c.setExpirationTime(NumericDate.fromSeconds(
        NumericDate.now().getValue() - 120))), "/accounts/x"), "expired beyond the clock skew");
    assertInvalid(get(idp.token(c -> c.unsetClaim("exp")), "/accounts/x"), "no exp");
    assertInvalid(get(idp.token(c -> c.setIssuer("https://other/")), "/accounts/x"), "issuer");
    assertInvalid(get(idp.token(c -> c.setAudience("other-api")), "/accounts/x"), "audience");
    assertInvalid(get(StandInIdp.token(StandInIdp.newKey("k1"), c -> { }), "/accounts/x"), "another key, same kid");
    assertInvalid(get("not.a.jwt", "/accounts/x"), "garbage");
    assertInvalid(get(idp.token(c -> c.setClaim("ledger_accounts", "not-a-list")), "/accounts/x"), "accounts");
    assertInvalid(get(signed(new HmacKey(new byte[32]), AlgorithmIdentifiers.HMAC_SHA256), "/accounts/x"),
        "symmetric HS256");
    assertInvalid(get(signed(null, AlgorithmIdentifiers.NONE), "/accounts/x"), "alg none");
    // Within the clock skew (30 s), a just-expired token still passes.
    assertEquals(404, get(idp.token(c -> c.setExpirationTime(NumericDate.fromSeconds(
        NumericDate.now().getValue() - 5))), "/accounts/x").status());
  }

  /** Valid claims, signed with {@code key} and {@code alg} instead of the provider's RSA key. */
  private static String signed(java.security.Key key, String alg) throws Exception {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(StandInIdp.ISSUER);
    claims.setAudience(StandInIdp.AUDIENCE);
    claims.setExpirationTimeMinutesInTheFuture(5);
    claims.setClaim("scope", "accounts:read");
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
    jws.setKeyIdHeaderValue("k1");
    jws.setAlgorithmHeaderValue(alg);
    if (key != null) {
      jws.setKey(key);
    }
    return jws.getCompactSerialization();
  }

  @Test
  public void theAccountsClaimMakesATenant() throws Exception {
    TestHttp tenant = http.withKey(idp.token(c -> c.setStringListClaim("ledger_accounts", List.of("jt-"))));
    assertEquals(201, tenant.post("/accounts", "{\"id\":\"jt-1\",\"currency\":\"USD\"}").status());
    assertEquals(201, http.post("/accounts", "{\"id\":\"jz-1\",\"currency\":\"USD\"}").status());
    assertEquals(200, tenant.get("/accounts/jt-1").status());
    Response foreign = tenant.get("/accounts/jz-1");
    assertEquals(404, foreign.status());
    assertEquals("account_not_found", foreign.errorCode());
    assertEquals(403, tenant.post("/accounts", "{\"id\":\"jz-2\",\"currency\":\"USD\"}").status());
  }

  /** A token signed by a key the node has not fetched, while the provider does not answer: 503, never an allow. */
  @Test
  public void anUnreachableProviderIs503ForAKeyNotYetFetched() throws Exception {
    assertEquals(404, get(idp.token(c -> { }), "/accounts/x").status());
    String unknownKid = StandInIdp.token(StandInIdp.newKey("k-new"), c -> { });
    Thread.sleep(500); // jose4j fetches again for an unknown kid at most every 300 ms
    idp.slow(true);
    try {
      Response r = get(unknownKid, "/accounts/x");
      assertEquals(r.body(), 503, r.status());
      assertEquals("unavailable", r.errorCode());
      assertEquals("a fetched key still works", 404, get(idp.token(c -> { }), "/accounts/x").status());
    } finally {
      idp.slow(false);
    }
  }
}
