package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Directives;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import ledger.LedgerNode;
import ledger.account.AccountEntity;
import ledger.testing.Bodies;
import ledger.testing.StandInIdp;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestKeys;
import ledger.testing.TestNodes;
import ledger.transfer.TransferEntity;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.slf4j.LoggerFactory;

/**
 * The audit trail (docs/design.md "Audit"), read from the ledger.audit logger of a node on the
 * in-memory journal that takes the test API key and JWTs (an identity provider stood in for by a
 * key pair made here): one line per change request, refused ones included, with its fields; none
 * for a read; and no value of a client's can add a field or a line.
 */
public class AuditLogTest {
  private static final Queue<String> LINES = new ConcurrentLinkedQueue<>();
  private static final Logger AUDIT = (Logger) LoggerFactory.getLogger(Audit.LOGGER);
  private static final AppenderBase<ILoggingEvent> CAPTURE = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      LINES.add(event.getFormattedMessage());
    }
  };
  private static Level levelBefore;
  private static StandInIdp idp;
  private static LedgerNode node;
  private static TestHttp http;

  @BeforeClass
  public static void start() throws Exception {
    levelBefore = AUDIT.getLevel();
    CAPTURE.setContext(AUDIT.getLoggerContext());
    CAPTURE.start();
    AUDIT.addAppender(CAPTURE);
    AUDIT.setLevel(Level.INFO);
    AUDIT.setAdditive(false); // this test reads the lines; the console stays at WARN
    idp = StandInIdp.start();
    node = LedgerNode.start(ConfigFactory.parseMap(idp.nodeConfig()).withFallback(TestNodes.inMemoryNode()),
        Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
  }

  @AfterClass
  public static void stop() {
    try {
      node.stop(Duration.ofSeconds(30));
      idp.close();
    } finally {
      AUDIT.detachAppender(CAPTURE);
      AUDIT.setLevel(levelBefore);
      AUDIT.setAdditive(true);
    }
  }

  private static String token(String subject, String scopes) throws Exception {
    return idp.token(c -> {
      c.setSubject(subject);
      c.setClaim("scope", scopes);
    });
  }

  /** Sends a request with this X-Request-Id (and any other headers) and this Authorization (null: none). */
  private static Response send(String method, String path, String body, String authorization, String requestId,
                               Consumer<HttpRequest.Builder> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(http.uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("X-Request-Id", requestId);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    headers.accept(b);
    return http.withAuthorization(authorization).send(b);
  }

  private static Response post(String path, String body, String authorization, String requestId) {
    Response r = send("POST", path, body, authorization, requestId, b -> { });
    assertEquals("the request id is echoed", requestId, r.headers().firstValue("X-Request-Id").orElse(null));
    return r;
  }

  /** The one line of the request with this id, as its fields (the line is written before the answer is sent). */
  private static Map<String, String> line(String requestId) {
    List<String> found = new ArrayList<>();
    for (String l : LINES) {
      if (fields(l).get("request_id").equals(requestId)) {
        found.add(l);
      }
    }
    assertEquals("one audit line for " + requestId + ": " + found, 1, found.size());
    assertFalse("one line is one line", found.get(0).contains("\n") || found.get(0).contains("\r"));
    return fields(found.get(0));
  }

  /** The fields of a line ("audit" then name=value or name="escaped value"), failing on anything else. */
  static Map<String, String> fields(String line) {
    assertTrue(line, line.startsWith("audit "));
    Map<String, String> f = new LinkedHashMap<>();
    int i = "audit ".length();
    while (i < line.length()) {
      int eq = line.indexOf('=', i);
      String name = line.substring(i, eq);
      assertTrue("field name " + name + " in " + line, name.matches("[a-z_]+"));
      StringBuilder v = new StringBuilder();
      i = eq + 1;
      if (line.charAt(i) == '"') {
        for (i++; line.charAt(i) != '"'; i++) {
          char c = line.charAt(i);
          if (c == '\\') {
            char e = line.charAt(++i);
            v.append(switch (e) {
              case 'n' -> "\n";
              case 'r' -> "\r";
              case 't' -> "\t";
              case 'u' -> String.valueOf((char) Integer.parseInt(line.substring(i + 1, (i += 4) + 1), 16));
              default -> String.valueOf(e);
            });
          } else {
            v.append(c);
          }
        }
        i++;
      } else {
        int end = line.indexOf(' ', i);
        end = end < 0 ? line.length() : end;
        v.append(line, i, end);
        i = end;
      }
      assertNull("field " + name + " twice in " + line, f.put(name, v.toString()));
      assertTrue(line, i == line.length() || line.charAt(i++) == ' ');
    }
    return f;
  }

  private static void assertCommon(Map<String, String> f) {
    assertEquals("127.0.0.1", f.get("client"));
    assertTrue(f.toString(), Long.parseLong(f.get("duration_ms")) >= 0);
  }

  @Test
  public void aNewRequestIdIsSixteenHexDigits() {
    for (int i = 0; i < 10_000; i++) {
      String id = Audit.newRequestId();
      assertTrue(id, id.matches("[0-9a-f]{16}"));
    }
  }

  @Test
  public void aCreateIsAuditedWithItsKeyIdAndAccount() {
    Response r = post("/accounts", Bodies.account("au-1", "USD", ""), TestKeys.bearer(), "req-create-1");
    assertEquals(r.body(), 201, r.status());
    Map<String, String> f = line("req-create-1");
    assertEquals("account_create", f.get("route"));
    assertEquals("POST", f.get("method"));
    assertEquals("201", f.get("status"));
    assertEquals("ok", f.get("code"));
    assertEquals(TestKeys.key().id(), f.get("caller"));
    assertEquals("au-1", f.get("accounts"));
    assertNull(f.get("transfers"));
    assertCommon(f);
    assertFalse("never the key itself", LINES.stream().anyMatch(l -> l.contains(TestKeys.key().secret())));
  }

  @Test
  public void transfersAreAuditedWithTheirIdsAccountsAndResultCode() throws Exception {
    post("/accounts", Bodies.account("au-src", "USD", ",\"min_balance\":null"), TestKeys.bearer(), "req-t-a");
    post("/accounts", Bodies.account("au-dst", "USD", ""), TestKeys.bearer(), "req-t-b");
    String alice = "Bearer " + token("alice", "transfers:write");
    Response ok = post("/transfers", Bodies.oneLeg("au-t1", "au-src", "au-dst", 10, ""), alice, "req-t-1");
    assertEquals(ok.body(), 201, ok.status());
    Map<String, String> f = line("req-t-1");
    assertEquals("transfer_create", f.get("route"));
    assertEquals("201", f.get("status"));
    assertEquals("ok", f.get("code"));
    assertEquals("jwt:alice", f.get("caller"));
    assertEquals("au-t1", f.get("transfers"));
    assertEquals("au-src,au-dst", f.get("accounts"));
    assertCommon(f);

    Response refused = post("/transfers", Bodies.oneLeg("au-t2", "au-dst", "au-src", 1000, ""), alice, "req-t-2");
    assertEquals(refused.body(), 422, refused.status());
    Map<String, String> g = line("req-t-2");
    assertEquals("422", g.get("status"));
    assertEquals("exceeds_min_balance", g.get("code"));
    assertEquals("au-t2", g.get("transfers"));
    assertEquals("au-dst,au-src", g.get("accounts"));
  }

  @Test
  public void refusedRequestsAreAuditedWithoutTheirCallerIfUnauthenticated() throws Exception {
    Response forbidden = post("/transfers", Bodies.oneLeg("au-t3", "au-x", "au-y", 1, ""),
        "Bearer " + token("reader", "accounts:read"), "req-403");
    assertEquals(403, forbidden.status());
    Map<String, String> f = line("req-403");
    assertEquals("transfer_create", f.get("route"));
    assertEquals("403", f.get("status"));
    assertEquals("forbidden", f.get("code"));
    assertEquals("jwt:reader", f.get("caller"));

    Response anonymous = post("/accounts/au-1/lock", null, null, "req-401");
    assertEquals(401, anonymous.status());
    Map<String, String> g = line("req-401");
    assertEquals("account_lock", g.get("route"));
    assertEquals("401", g.get("status"));
    assertEquals("unauthenticated", g.get("code"));
    assertNull("no caller before authentication", g.get("caller"));
    assertEquals("au-1", g.get("accounts"));
    assertCommon(g);
  }

  @Test
  public void readsAreNotAuditedButGetARequestId() {
    Response r = send("GET", "/accounts/au-none", null, TestKeys.bearer(), "req-get-1", b -> { });
    assertEquals(404, r.status());
    assertEquals("req-get-1", r.headers().firstValue("X-Request-Id").orElse(null));
    assertTrue(LINES.stream().noneMatch(l -> l.contains("req-get-1")));
  }

  /** A valid id of the longest length (64). */
  private static String longId(int i) {
    return String.format("au-b%02d-", i) + "x".repeat(57);
  }

  @Test
  public void noClientValueCanAddAFieldOrALine() throws Exception {
    String subject = "mallory\" caller=admin\naudit request_id=forged code=ok";
    String forwarded = "10.0.0.1\" client=10.9.9.9 status=200";
    String weirdId = "x\"\nrequest_id=forged2 \\" + "y".repeat(100);
    StringBuilder batch = new StringBuilder("{\"transfers\":[{\"id\":\"x\\\"\\nrequest_id=forged2 \\\\"
        + "y".repeat(100) + "\"}");
    for (int i = 0; i < 11; i++) {
      batch.append(",").append(Bodies.oneLeg(longId(i), "au-bx", "au-by", 1, ""));
    }
    batch.append("]}");
    Response r = send("POST", "/transfers/batch", batch.toString(), "Bearer " + token(subject, "transfers:write"),
        "req-inject", b -> b.header("X-Forwarded-For", forwarded));
    assertEquals(r.body(), 200, r.status());
    Map<String, String> f = line("req-inject");
    assertEquals("transfer_batch", f.get("route"));
    assertEquals("jwt:" + subject, f.get("caller"));
    assertEquals(forwarded, f.get("forwarded_for"));
    assertEquals("127.0.0.1", f.get("client"));
    assertEquals("200", f.get("status"));
    assertEquals("failed:1,rejected:11", f.get("outcomes"));
    List<String> listed = List.of(f.get("transfers").split(","));
    assertEquals("the first ids of a batch, bounded", Audit.IDS_MAX, listed.size());
    assertEquals("an id as asked, cut", weirdId.substring(0, Audit.ID_LENGTH_MAX) + "...", listed.get(0));
    assertEquals("ids of 64 characters are listed whole", longId(8), listed.get(9));
    assertEquals("12", f.get("transfers_count"));
    assertEquals("au-bx,au-by", f.get("accounts"));
    assertNull("every account named is listed", f.get("accounts_count"));
    assertTrue(LINES.stream().noneMatch(l -> fields(l).get("request_id").startsWith("forged")));

    Response badId = send("POST", "/accounts/au-1/close", null, TestKeys.bearer(), "bad id\"", b -> { });
    String generated = badId.headers().firstValue("X-Request-Id").orElse("");
    assertTrue("an unsafe request id is replaced: " + generated, generated.matches("[0-9a-f]{16}"));
    assertEquals("account_close", line(generated).get("route"));
  }

  @Test
  public void aTimedOutRequestIsWrittenOnceWithItsTimeoutAnswer() throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "audit-timeout-test",
        ConfigFactory.parseString("akka.http.server.request-timeout = 500ms\n"
            + "akka.http.server.remote-address-attribute = on").withFallback(ConfigFactory.defaultReference()));
    try {
      CompletableFuture<akka.http.javadsl.model.HttpResponse> late = new CompletableFuture<>();
      ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
          .bind(HttpApi.timeoutsAsErrors(() -> new Audit().audited(() -> Directives.completeWithFuture(late))))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      Response r = new TestHttp(base, () -> null).send(HttpRequest.newBuilder(java.net.URI.create(
              base + "/transfers/au-slow/void"))
          .POST(HttpRequest.BodyPublishers.noBody()).header("X-Request-Id", "req-timeout"));
      assertEquals(r.body(), 503, r.status());
      assertEquals("req-timeout", r.headers().firstValue("X-Request-Id").orElse(null));
      late.complete(akka.http.javadsl.model.HttpResponse.create());
      Thread.sleep(200); // the route's late answer is dropped: it must not add a line
      Map<String, String> f = line("req-timeout");
      assertEquals("503", f.get("status"));
      assertEquals("unavailable", f.get("code"));
      assertEquals("transfer_void", f.get("route"));
      assertEquals("au-slow", f.get("transfers"));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  public void theCallerOfEachChangeReachesItsEvents() throws Exception {
    TestHttp alice = http.withAuthorization("Bearer " + token("alice",
        "accounts:write accounts:admin transfers:write"));
    assertEquals(201, alice.post("/accounts", Bodies.account("au-j1", "USD", ",\"min_balance\":null")).status());
    assertEquals(201, alice.post("/accounts", Bodies.account("au-j2", "USD", "")).status());
    assertEquals(200, alice.patch("/accounts/au-j2", "{\"max_balance\":1000}").status());
    assertEquals(200, alice.post("/accounts/au-j2/lock").status());
    assertEquals(200, alice.post("/accounts/au-j2/unlock").status());
    assertEquals(201, alice.post("/transfers", Bodies.oneLeg("au-jt1", "au-j1", "au-j2", 5, ",\"pending\":true"))
        .status());
    assertEquals(200, alice.post("/transfers/au-jt1/post").status());
    assertEquals(201, http.post("/transfers", Bodies.oneLeg("au-jt2", "au-j1", "au-j2", 5, ",\"pending\":true"))
        .status());
    assertEquals(200, http.post("/transfers/au-jt2/void").status());

    PersistenceTestKit journal = PersistenceTestKit.create(node.system());
    List<Object> account = journal.persistedInStorage(AccountEntity.persistenceId("au-j2").id());
    assertEquals("jwt:alice", ((AccountEntity.Created) account.get(0)).requestedBy());
    assertEquals("jwt:alice", ((AccountEntity.LimitsChanged) account.get(1)).requestedBy());
    assertEquals("jwt:alice", ((AccountEntity.Locked) account.get(2)).requestedBy());
    assertEquals("jwt:alice", ((AccountEntity.Unlocked) account.get(3)).requestedBy());
    List<Object> posted = journal.persistedInStorage(TransferEntity.persistenceId("au-jt1").id());
    assertEquals("jwt:alice", ((TransferEntity.Decided) posted.get(0)).requestedBy());
    assertEquals("jwt:alice", ((TransferEntity.PendingPosted) posted.get(1)).requestedBy());
    List<Object> voided = journal.persistedInStorage(TransferEntity.persistenceId("au-jt2").id());
    assertEquals(TestKeys.key().id(), ((TransferEntity.Decided) voided.get(0)).requestedBy());
    assertEquals(TestKeys.key().id(), ((TransferEntity.PendingVoided) voided.get(1)).requestedBy());
  }
}
