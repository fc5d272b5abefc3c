package ledger.testing;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;

/**
 * An identity provider stood in for by an RSA key pair made here, its JWKS served by a small
 * HTTP server on loopback, and tokens signed with it. {@link #nodeConfig()} points a node at it.
 */
public final class StandInIdp implements AutoCloseable {
  public static final String ISSUER = "https://idp.test/";
  public static final String AUDIENCE = "ledger-api";

  private final RsaJsonWebKey signing;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final AtomicBoolean slow = new AtomicBoolean();

  private StandInIdp() throws Exception {
    signing = newKey("k1");
    byte[] jwks = new JsonWebKeySet(signing).toJson().getBytes(StandardCharsets.UTF_8);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/jwks", exchange -> {
      if (slow.get()) {
        sleep(3000); // past a node's 1 s fetch timeout
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, jwks.length);
      exchange.getResponseBody().write(jwks);
      exchange.close();
    });
    server.start();
  }

  public static StandInIdp start() throws Exception {
    return new StandInIdp();
  }

  /** The key whose public half the JWKS serves, with key id "k1". */
  public RsaJsonWebKey signing() {
    return signing;
  }

  /** While on, the JWKS answers only after 3 s. */
  public void slow(boolean on) {
    slow.set(on);
  }

  /** ledger.auth.jwt settings for a node trusting this provider. */
  public Map<String, Object> nodeConfig() {
    return Map.of(
        "ledger.auth.jwt.jwks-url", "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks",
        "ledger.auth.jwt.issuer", ISSUER,
        "ledger.auth.jwt.audience", AUDIENCE);
  }

  public static RsaJsonWebKey newKey(String kid) throws Exception {
    RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
    key.setKeyId(kid);
    return key;
  }

  /** A valid token of this provider (subject alice, read and write of accounts), as {@code edit} changes it. */
  public String token(Consumer<JwtClaims> edit) throws Exception {
    return token(signing, edit);
  }

  /** The same claims, RS256-signed with {@code key} under its key id. */
  public static String token(RsaJsonWebKey key, Consumer<JwtClaims> edit) throws Exception {
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
