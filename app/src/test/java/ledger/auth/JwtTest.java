package ledger.auth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import ledger.LedgerNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
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
  private static final String ISSUER = "https://idp.test/";
  private static final String AUDIENCE = "ledger-api";
  private static final java.util.concurrent.atomic.AtomicBoolean idpDown = new java.util.concurrent.atomic.AtomicBoolean();
  private static final java.util.concurrent.ExecutorService idpThreads =
      java.util.concurrent.Executors.newCachedThreadPool();
  private static HttpServer idp;
  private static RsaJsonWebKey signing;
  private static LedgerNode node;
  private static TestHttp http;

  @BeforeClass
  public static void start() throws Exception {
    signing = newKey("k1");
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    idp.setExecutor(idpThreads);
    byte[] jwks = new JsonWebKeySet(signing).toJson().getBytes(StandardCharsets.UTF_8);
    idp.createContext("/jwks", exchange -> {
      if (idpDown.get()) {
        sleep(3000); // past the node's 1 s fetch timeout
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, jwks.length);
      exchange.getResponseBody().write(jwks);
      exchange.close();
    });
    idp.start();
    var config = ConfigFactory.parseMap(Map.of(
            "ledger.auth.jwt.jwks-url", "http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks",
            "ledger.auth.jwt.issuer", ISSUER,
            "ledger.auth.jwt.audience", AUDIENCE,
            "ledger.auth.jwt.fetch-timeout", "1s"))
        .withFallback(TestNodes.inMemoryNode());
    node = LedgerNode.start(config, Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
  }

  @AfterClass
  public static void stop() {
    node.stop(Duration.ofSeconds(30));
    idp.stop(0);
    idpThreads.shutdownNow();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static RsaJsonWebKey newKey(String kid) throws Exception {
    RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
    key.setKeyId(kid);
    return key;
  }

  private static String token(RsaJsonWebKey key, Consumer<JwtClaims> edit) throws Exception {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setAudience(AUDIENCE);
    claims.setSubject("alice");
    claims.setExpirationTimeMinutesInTheFuture(5);
    claims.setClaim("scope", "accounts:read accounts:write");
    edit.accept(claims);
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setKey(key.getPrivateKey());
    jws.setKeyIdHeaderValue(key.getKeyId());
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    return jws.getCompactSerialization();
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
    String token = token(signing, c -> { });
    assertEquals(404, get(token, "/accounts/jwt-none").status());
    TestHttp caller = http.withKey(token);
    assertEquals(201, caller.post("/accounts", "{\"id\":\"jwt-1\",\"currency\":\"USD\"}").status());
    Response r = caller.post("/transfers", "{}");
    assertEquals(r.body(), 403, r.status());
    assertEquals("this key lacks the scope transfers:write", r.json().get("error").get("message").asText());
    String listed = token(signing, c -> c.setStringListClaim("scope", List.of("transfers:read", "nonsense")));
    assertEquals(404, get(listed, "/transfers/jwt-none").status());
    assertEquals(403, get(listed, "/accounts/jwt-1").status());
    assertEquals("API keys still work", 200, http.get("/accounts/jwt-1").status());
  }

  @Test
  public void everyInvalidTokenIs401() throws Exception {
    assertInvalid(get(token(signing, c -> c.setExpirationTime(NumericDate.fromSeconds(
        NumericDate.now().getValue() - 120))), "/accounts/x"), "expired beyond the clock skew");
    assertInvalid(get(token(signing, c -> c.unsetClaim("exp")), "/accounts/x"), "no exp");
    assertInvalid(get(token(signing, c -> c.setIssuer("https://other/")), "/accounts/x"), "issuer");
    assertInvalid(get(token(signing, c -> c.setAudience("other-api")), "/accounts/x"), "audience");
    assertInvalid(get(token(newKey("k1"), c -> { }), "/accounts/x"), "another key, same kid");
    assertInvalid(get("not.a.jwt", "/accounts/x"), "garbage");
    assertInvalid(get(token(signing, c -> c.setClaim("ledger_accounts", "not-a-list")), "/accounts/x"), "accounts");
    assertInvalid(get(signed(new HmacKey(new byte[32]), AlgorithmIdentifiers.HMAC_SHA256), "/accounts/x"),
        "symmetric HS256");
    assertInvalid(get(signed(null, AlgorithmIdentifiers.NONE), "/accounts/x"), "alg none");
    // Within the clock skew (30 s), a just-expired token still passes.
    assertEquals(404, get(token(signing, c -> c.setExpirationTime(NumericDate.fromSeconds(
        NumericDate.now().getValue() - 5))), "/accounts/x").status());
  }

  /** Valid claims, signed with {@code key} and {@code alg} instead of the provider's RSA key. */
  private static String signed(java.security.Key key, String alg) throws Exception {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setAudience(AUDIENCE);
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
    TestHttp tenant = http.withKey(token(signing, c -> c.setStringListClaim("ledger_accounts", List.of("jt-"))));
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
    assertEquals(404, get(token(signing, c -> { }), "/accounts/x").status());
    String unknownKid = token(newKey("k-new"), c -> { });
    sleep(500); // jose4j fetches again for an unknown kid at most every 300 ms
    idpDown.set(true);
    try {
      Response r = get(unknownKid, "/accounts/x");
      assertEquals(r.body(), 503, r.status());
      assertEquals("unavailable", r.errorCode());
      assertEquals("a fetched key still works", 404, get(token(signing, c -> { }), "/accounts/x").status());
    } finally {
      idpDown.set(false);
    }
  }
}
