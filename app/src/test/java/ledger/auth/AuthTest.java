package ledger.auth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ledger.LedgerNode;
import ledger.cassandra.CassandraConnection;
import ledger.http.ApiRoute;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestKeys;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Authentication and scopes against a node on the test Cassandra (keys in its api_keys table,
 * cached for 500 ms): every route answers 401 without a valid key and 403 without its scope;
 * the CLI creates, lists and revokes; the bootstrap file; the hash never stored in clear.
 */
public class AuthTest {
  @ClassRule
  public static final RunningNode node = RunningNode.onCassandra();
  private static Config config;
  private static String keyspace;
  private static TestHttp http;
  private static CqlSession session;
  private static CassandraKeyStore store;
  private static KeyHasher hasher;
  private static Duration cacheTtl;

  @BeforeClass
  public static void start() {
    config = node.config();
    keyspace = config.getString("ledger.cassandra.keyspace");
    http = node.http();
    session = CassandraConnection.openSession(config);
    store = new CassandraKeyStore(() -> CompletableFuture.completedFuture(session), keyspace, Duration.ofSeconds(10));
    hasher = KeyHasher.fromBase64(TestKeys.hashKey());
    cacheTtl = config.getDuration("ledger.auth.cache-ttl");
  }

  @AfterClass
  public static void stop() {
    session.close();
  }

  private static ApiKey key(Set<Scope> scopes, Instant expiresAt) {
    ApiKey key = ApiKey.generate();
    KeyRecord record = new KeyRecord(key.id(), hasher.hash(key.secret()), "test", scopes, List.of(), Instant.now(),
        expiresAt, null);
    assertTrue(store.insertIfAbsent(record).toCompletableFuture().join());
    return key;
  }

  private static String path(ApiRoute route) {
    return route.template().replace("{id}", "auth-x");
  }

  private static Response call(TestHttp client, ApiRoute route) {
    boolean body = !route.method().equals("GET");
    return client.send(route.method(), path(route), body ? "{}" : null, body ? "application/json" : null);
  }

  private static void assert401(Response r, boolean invalidToken, String what) {
    assertEquals(what + ": " + r.body(), 401, r.status());
    assertEquals(what, "unauthenticated", r.errorCode());
    assertEquals(what, invalidToken ? "Bearer error=\"invalid_token\"" : "Bearer",
        r.headers().firstValue("WWW-Authenticate").orElse(""));
  }

  @Test
  public void everyRouteAnswers401WithoutAValidKey() {
    ApiKey unknown = ApiKey.generate();
    ApiKey wrongSecret = new ApiKey(TestKeys.key().id(), ApiKey.generate().secret());
    ApiKey expired = key(EnumSet.allOf(Scope.class), Instant.now().minusSeconds(1));
    Map<String, TestHttp> invalid = Map.of(
        "malformed", http.withAuthorization("Bearer not-a-key"),
        "empty bearer", http.withAuthorization("Bearer "),
        "too long", http.withAuthorization("Bearer " + "a".repeat(5000)),
        "unknown id", http.withKey(unknown.text()),
        "wrong secret", http.withKey(wrongSecret.text()),
        "expired", http.withKey(expired.text()));
    for (ApiRoute route : ApiRoute.values()) {
      assert401(call(http.withAuthorization(null), route), false, route + " without a key");
      assert401(call(http.withAuthorization("Basic dXNlcjpwdw=="), route), false, route + " with Basic");
      invalid.forEach((what, client) -> assert401(call(client, route), true, route + " " + what));
    }
    // The same messages whatever the reason: nothing tells a guessed id from a wrong secret.
    assertEquals(http.withKey(unknown.text()).get("/accounts").body(), http.withKey(wrongSecret.text()).get("/accounts").body());
    assertEquals(http.withKey(unknown.text()).get("/accounts").body(), http.withKey(expired.text()).get("/accounts").body());
  }

  @Test
  public void theKeyIsCheckedBeforeTheBodyIsRead() {
    TestHttp anonymous = http.withAuthorization(null);
    assert401(anonymous.post("/accounts", "{\"id\":\"auth-body\",\"currency\":\"USD\"}"), false, "create");
    assertEquals(404, http.get("/accounts/auth-body").status());
    // Over the body limit and not JSON: 401 all the same, neither 413 nor 400.
    assert401(anonymous.post("/accounts", "x".repeat(1_500_000)), false, "large body");
    assert401(anonymous.send("POST", "/transfers", "[", "text/plain"), false, "bad body");
  }

  @Test
  public void everyRouteAnswers403NamingTheScopeItLacks() {
    for (ApiRoute route : ApiRoute.values()) {
      Set<Scope> allButOne = EnumSet.allOf(Scope.class);
      allButOne.remove(route.scope());
      Response r = call(http.withKey(key(allButOne, null).text()), route);
      assertEquals(route + ": " + r.body(), 403, r.status());
      assertEquals("forbidden", r.errorCode());
      assertEquals("this key lacks the scope " + route.scope().wire(), r.json().get("error").get("message").asText());
    }
  }

  @Test
  public void patchOfLimitsNeedsAccountsAdminAndOfMetadataAccountsWrite() {
    TestHttp writer = http.withKey(key(EnumSet.of(Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE), null).text());
    assertEquals(201, writer.post("/accounts", "{\"id\":\"auth-p\",\"currency\":\"USD\"}").status());
    assertEquals(200, writer.patch("/accounts/auth-p", "{\"metadata\":{\"k\":\"v\"}}").status());
    for (String body : List.of("{\"min_balance\":null}", "{\"max_balance\":5,\"metadata\":{}}")) {
      Response r = writer.patch("/accounts/auth-p", body);
      assertEquals(r.body(), 403, r.status());
      assertTrue(r.body(), r.json().get("error").get("message").asText().contains("accounts:admin"));
    }
    assertEquals(2, http.get("/accounts/auth-p").json().get("version").asLong());
    assertEquals(200, http.patch("/accounts/auth-p", "{\"min_balance\":null}").status());
  }

  @Test
  public void cliCreatesListsAndRevokesAndRevocationTakesEffectAfterTheCacheTtl() throws Exception {
    Cli created = cli("create", "--scopes", "accounts:read,transfers:read", "--name", "reader", "--expires", "30d");
    assertEquals(created.err, 0, created.code);
    Matcher m = Pattern.compile("(lk_([0-9a-f]{16})_[A-Za-z0-9_-]{43})").matcher(created.out);
    assertTrue(created.out, m.find());
    String text = m.group(1);
    String id = m.group(2);
    TestHttp reader = http.withKey(text);
    assertEquals(404, reader.get("/accounts/auth-none").status());
    assertEquals(403, reader.post("/accounts", "{\"id\":\"auth-r\",\"currency\":\"USD\"}").status());

    Cli list = cli("list");
    assertEquals(0, list.code);
    String line = list.out.lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow(() -> new AssertionError(list.out));
    assertTrue(line, line.contains("reader") && line.contains("accounts:read,transfers:read")
        && line.contains("(all accounts)"));
    assertFalse("never the secret", list.out.contains(text.substring(20)));

    assertEquals(0, cli("revoke", id).code);
    assertEquals(1, cli("revoke", "0123456789abcdef").code);
    Thread.sleep(cacheTtl.toMillis() + 300);
    assert401(reader.get("/accounts/auth-none"), true, "revoked");
    assertTrue(cli("list").out.lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow().matches(
        ".*\\d{4}-\\d\\d-\\d\\dT.*\\d{4}-\\d\\d-\\d\\dT.*\\d{4}-\\d\\d-\\d\\dT.*"));
  }

  @Test
  public void cliRefusesBadOptionsWithExitCode2() {
    List<List<String>> bad = List.of(List.of(), List.of("nope"), List.of("create"),
        List.of("create", "--scopes", "accounts:read,everything"), List.of("create", "--scopes"),
        List.of("create", "--scopes", "ops:read", "--accounts", "t1-"),
        List.of("create", "--scopes", "accounts:read", "--accounts", "-bad"),
        List.of("create", "--scopes", "accounts:read", "--expires", "2001-01-01T00:00:00Z"),
        List.of("create", "--scopes", "accounts:read", "--expires", "soon"),
        List.of("create", "--scopes", "accounts:read", "--color", "red"),
        List.of("list", "extra"), List.of("revoke"), List.of("revoke", "not-an-id"));
    for (List<String> args : bad) {
      Cli r = cli(args.toArray(String[]::new));
      assertEquals(args + ": " + r.out + r.err, 2, r.code);
      assertTrue(args + ": " + r.err, r.err.startsWith("keys: ") && r.err.contains("usage:"));
    }
    List<String> many = new ArrayList<>(List.of("create", "--scopes", "accounts:read", "--accounts"));
    for (int i = 0; i < 17; i++) {
      many.add("t" + i + "-");
    }
    assertEquals(2, cli(many.toArray(String[]::new)).code);
  }

  @Test
  public void theHashIsStoredNeverTheSecret() {
    ApiKey key = key(EnumSet.of(Scope.ACCOUNTS_READ), null);
    Row row = session.execute("SELECT * FROM " + keyspace + ".api_keys WHERE id = '" + key.id() + "'").one();
    ByteBuffer hash = row.getByteBuffer("hash");
    byte[] stored = new byte[hash.remaining()];
    hash.get(stored);
    assertEquals(32, stored.length);
    assertTrue(java.util.Arrays.equals(hasher.hash(key.secret()), stored));
    String secretBytes = new String(key.secret().getBytes(StandardCharsets.US_ASCII), StandardCharsets.ISO_8859_1);
    for (var def : row.getColumnDefinitions()) {
      Object value = row.getObject(def.getName());
      assertFalse(def.getName().asInternal(), String.valueOf(value).contains(key.secret()));
    }
    assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains(secretBytes));
  }

  @Test
  public void theBootstrapFileIsCreatedOnceAndRegisteredIdempotently() throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "bootstrap-");
    Path file = dir.resolve("key");
    ApiKey first = BootstrapKey.ensure(file, hasher, store, Clock.systemUTC(), Duration.ofSeconds(10), Duration.ofSeconds(30));
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(file));
    assertEquals(first.text(), Files.readString(file).strip());
    // Another node given the same file: the same key, registered again without harm.
    ApiKey again = BootstrapKey.ensure(file, hasher, store, Clock.systemUTC(), Duration.ofSeconds(10), Duration.ofSeconds(30));
    assertEquals(first, again);
    try (var files = Files.list(dir)) {
      assertEquals("no temporary file left", 1, files.count());
    }
    Response r = http.withKey(first.text()).get("/recon");
    assertEquals(r.body(), 200, r.status());
    assertEquals(200, http.get("/metrics").status());
  }

  @Test
  public void aNodeWithAuthenticationOnAndNoHashKeyRefusesToStart() {
    Config noHashKey = com.typesafe.config.ConfigFactory.parseMap(Map.of("ledger.auth.hash-key", ""))
        .withFallback(TestNodes.inMemoryNode());
    try {
      LedgerNode.start(noHashKey, Duration.ofSeconds(30)).stop(Duration.ofSeconds(30));
      throw new AssertionError("started without a hash key");
    } catch (IllegalStateException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("LEDGER_AUTH_HASH_KEY"));
    }
  }

  /** For benchmark comparisons only: with authentication off every request may do everything. */
  @Test
  public void withAuthenticationOffEveryRequestIsAnAllScopeCaller() {
    Config off = com.typesafe.config.ConfigFactory.parseMap(Map.of("ledger.auth.enabled", "false",
        "ledger.auth.hash-key", "")).withFallback(TestNodes.inMemoryNode());
    LedgerNode open = LedgerNode.start(off, Duration.ofSeconds(30));
    try {
      TestHttp anonymous = new TestHttp("http://127.0.0.1:" + open.httpAddress().getPort()).withAuthorization(null);
      assertEquals(201, anonymous.post("/accounts", "{\"id\":\"off-1\",\"currency\":\"USD\"}").status());
      assertEquals(200, anonymous.get("/metrics").status());
    } finally {
      open.stop(Duration.ofSeconds(30));
    }
  }

  /** Cassandra unreachable and no cached entry: 503 unavailable as JSON, in about the lookup timeout. */
  @Test
  public void anUnreadableKeyTableIs503NeverAllowed() {
    Config deadCassandra = com.typesafe.config.ConfigFactory.parseMap(Map.of(
            "ledger.auth.store", "cassandra", "ledger.auth.bootstrap-key-file", "",
            "ledger.auth.lookup-timeout", "1s",
            "ledger.cassandra.contact-points", "127.0.0.1:" + TestNodes.freePort()))
        .withFallback(TestNodes.inMemoryNode()).resolve();
    LedgerNode dead = LedgerNode.start(deadCassandra, Duration.ofSeconds(30));
    try {
      long start = System.nanoTime();
      Response r = new TestHttp("http://127.0.0.1:" + dead.httpAddress().getPort()).get("/accounts/x");
      assertEquals(r.body(), 503, r.status());
      assertEquals("unavailable", r.errorCode());
      assertTrue("answered in time", System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
    } finally {
      dead.stop(Duration.ofSeconds(30));
    }
  }

  private record Cli(int code, String out, String err) {}

  private static Cli cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new KeysCli(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Clock.systemUTC()).run(List.of(args));
    return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
