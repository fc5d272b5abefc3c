package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import ledger.LedgerNode;
import ledger.cassandra.CassandraSchema;
import ledger.core.ResultCode;
import ledger.testing.TestKeys;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Mutated requests against every route of a node on the test Cassandra, sent as raw HTTP/1.1
 * so that paths, query strings, headers, encodings and sizes can be anything. Each starts from
 * a valid request of a route and gets one to three mutations (of the body's JSON, its text, the
 * path, the query, the headers, the method). Every answer must be a success or a JSON 4xx whose
 * code is a documented one with its documented status (503 only as data_not_ready or
 * overloaded, which say "ask again", or unavailable from a recon run longer than the request
 * timeout, which docs/api.md allows), and must come within {@link #HANG}, longer than the
 * server's own request timeout. After every refused request that could change something, the
 * fixture accounts must be exactly as before; at the end the books balance (S1).
 *
 * <p>Part of every build: {@link #REQUESTS} requests of the fixed seed below take 30 to 45 s on
 * a 2-core machine (plus the start of the node; recon runs asked for by the requests take most
 * of the spread). The run prints its seed, its request count,
 * its time, its slowest request and how many answers of each kind it got. Rerun a failure with
 * {@code -Dledger.fuzz.seed=N}, explore with {@code -Dledger.fuzz.seed=random}, and set the
 * count with {@code -Dledger.fuzz.requests=N}.
 *
 * <p>The generator itself must stay cheap: its bodies include a 1,000,000-digit number, which
 * Jackson 2.13 parses into a BigInteger in quadratic time (over a minute) when asked for its
 * value. Reading such a body back to mutate it once made whole runs take ten minutes, which
 * looked like server stalls; {@link #tree} refuses long numbers before parsing.
 */
public class ApiFuzzTest {
  private static final long SEED = "random".equals(System.getProperty("ledger.fuzz.seed")) ? System.nanoTime()
      : Long.getLong("ledger.fuzz.seed", 25354814924691L);
  private static final int REQUESTS = Integer.getInteger("ledger.fuzz.requests", 1500);
  /** Longer numbers in a body to mutate make it "not JSON" here (see the class comment). */
  private static final int NUMBER_LENGTH_MAX = 1000;
  private static final String KEYSPACE = "it_fuzz";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<String> FIXTURES = List.of("fz-a", "fz-b", "fz-c", "fz-d", "fz-l");
  private static final Set<String> CODES = Arrays.stream(ResultCode.values()).map(ResultCode::wire)
      .collect(Collectors.toSet());
  private static final Duration HANG = Duration.ofSeconds(25);
  /** The codes of a rejected transfer (docs/api.md, POST /transfers). */
  private static final Set<ResultCode> TRANSFER_REFUSALS = Set.of(ResultCode.ACCOUNT_NOT_FOUND,
      ResultCode.ACCOUNT_CLOSED, ResultCode.ACCOUNT_LOCKED, ResultCode.CURRENCY_MISMATCH, ResultCode.OVERFLOW,
      ResultCode.EXCEEDS_MIN_BALANCE, ResultCode.EXCEEDS_MAX_BALANCE, ResultCode.TOO_MANY_PENDING,
      ResultCode.TRANSFER_TIMED_OUT);

  private static LedgerNode node;
  private static int port;

  private final Random random = new Random(SEED);
  private final Map<String, JsonNode> fixtures = new HashMap<>();
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private int serial;
  private long slowestMs = -1;
  private String slowest = "";

  /** A request as it goes on the wire; the path includes the query string. */
  private record Request(String method, String path, Map<String, String> headers, byte[] body) {
    String describe() {
      String text = new String(body, StandardCharsets.UTF_8);
      String shownHeaders = headers.entrySet().stream()
          .map(h -> h.getKey() + ": " + (h.getKey().equals("Authorization") && h.getValue().length() > 20
              ? h.getValue().substring(0, 20) + "..." : cut(h.getValue(), 60)))
          .collect(Collectors.joining(", ", "{", "}"));
      return method + " " + cut(path, 300) + " " + shownHeaders + " body(" + body.length + ")=" + cut(text, 300);
    }

    private static String cut(String s, int max) {
      return s.length() > max ? s.substring(0, max) + "...(" + s.length() + ")" : s;
    }
  }

  private record Response(int status, String contentType, String body) {}

  @BeforeClass
  public static void start() {
    System.out.println("ApiFuzzTest seed=" + SEED + " requests=" + REQUESTS + " (rerun with -Dledger.fuzz.seed="
        + SEED + ")");
    var config = TestNodes.onCassandra(KEYSPACE, Map.of("ledger.recon.interval", "1h"));
    CassandraSchema.apply(config);
    node = LedgerNode.start(config, Duration.ofSeconds(60));
    port = node.httpAddress().getPort();
  }

  @AfterClass
  public static void stop() {
    if (node != null) {
      node.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  public void mutatedRequestsGetDocumentedAnswersAndChangeNothingWhenRefused() throws Exception {
    setUpFixtures();
    long start = System.nanoTime();
    for (int i = 0; i < REQUESTS; i++) {
      Request request = longTimeouts(mutate(seedRequest()));
      long sent = System.nanoTime();
      Response response = send(request);
      long ms = (System.nanoTime() - sent) / 1_000_000;
      if (ms > slowestMs) {
        slowestMs = ms;
        slowest = request.describe() + " -> " + response.status();
      }
      String outcome = check(request, response);
      outcomes.merge(outcome, 1, Integer::sum);
      if (request.method().equals("GET") || request.method().equals("HEAD")) {
        continue;
      }
      boolean decided = response.status() < 400 || response.status() == 422; // 422: a rejected transfer
      if (decided) {
        settleFixtures(); // posts and releases of a decided transfer land after the answer
      } else {
        assertFixturesUnchanged(request);
      }
    }
    assertBooksBalance();
    System.out.println("ApiFuzzTest seed=" + SEED + " requests=" + REQUESTS + " in "
        + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms; slowest " + slowestMs + " ms: " + slowest
        + "\n  outcomes " + outcomes);
    assertTrue("some requests succeeded", outcomes.keySet().stream().anyMatch(o -> o.startsWith("2")));
    assertTrue("most were refused", outcomes.keySet().stream().filter(o -> o.startsWith("4")).count() > 10);
  }

  // ---- fixtures ----------------------------------------------------------------------------

  private void setUpFixtures() throws Exception {
    expect(201, post("/accounts", "{\"id\":\"fz-a\",\"currency\":\"USD\"}"));
    expect(201, post("/accounts", "{\"id\":\"fz-b\",\"currency\":\"USD\",\"min_balance\":null}"));
    expect(201, post("/accounts", "{\"id\":\"fz-c\",\"currency\":\"EUR\",\"min_balance\":null,\"max_balance\":5000}"));
    expect(201, post("/accounts", "{\"id\":\"fz-d\",\"currency\":\"EUR\",\"min_balance\":null}"));
    expect(201, post("/accounts", "{\"id\":\"fz-l\",\"currency\":\"USD\",\"metadata\":{\"k\":\"v\"}}"));
    expect(200, post("/accounts/fz-l/lock", ""));
    expect(201, post("/transfers", "{\"id\":\"fz-fund\",\"debit_account_id\":\"fz-b\",\"credit_account_id\":\"fz-a\","
        + "\"amount\":100000,\"currency\":\"USD\"}"));
    expect(201, post("/transfers", "{\"id\":\"fz-p\",\"debit_account_id\":\"fz-a\",\"credit_account_id\":\"fz-b\","
        + "\"amount\":100,\"currency\":\"USD\",\"pending\":true,\"timeout_seconds\":3600}"));
    settleFixtures();
  }

  /** Reads the fixtures until two reads agree: the transfers decided so far have landed. */
  private void settleFixtures() throws Exception {
    Map<String, JsonNode> last = Map.of();
    for (int attempt = 0; attempt < 100; attempt++) {
      Map<String, JsonNode> now = new HashMap<>();
      for (String id : FIXTURES) {
        now.put(id, account(id));
      }
      if (now.equals(last)) {
        fixtures.clear();
        fixtures.putAll(now);
        return;
      }
      last = now;
      Thread.sleep(25);
    }
    fail("seed " + SEED + ": the fixture accounts keep changing");
  }

  /**
   * A pending transfer that could expire during the run would change the fixtures at a time of
   * its own: a timeout_seconds the server would accept is raised to an hour.
   */
  private static Request longTimeouts(Request r) {
    try {
      JsonNode root = tree(r.body());
      List<ObjectNode> objects = new ArrayList<>();
      if (root != null) {
        collectObjects(root, objects);
      }
      boolean changed = false;
      for (ObjectNode o : objects) {
        JsonNode t = o.get("timeout_seconds");
        if (t != null && t.isIntegralNumber() && t.canConvertToLong() && t.asLong() >= 1 && t.asLong() < 3600) {
          o.put("timeout_seconds", 3600);
          changed = true;
        }
      }
      return changed ? new Request(r.method(), r.path(), r.headers(), root.toString().getBytes(StandardCharsets.UTF_8))
          : r;
    } catch (IOException | RuntimeException notJson) {
      return r;
    }
  }

  private JsonNode account(String id) throws IOException {
    Response r = send(request("GET", "/accounts/" + id, null));
    assertEquals(r.body(), 200, r.status());
    return JSON.readTree(r.body());
  }

  private void assertFixturesUnchanged(Request refused) throws IOException {
    for (String id : FIXTURES) {
      JsonNode now = account(id);
      if (!now.equals(fixtures.get(id))) {
        fail("seed " + SEED + ": account " + id + " changed after a refused request: " + refused.describe()
            + "\nbefore " + fixtures.get(id) + "\nafter  " + now);
      }
    }
  }

  /** S1 over every account the run created, per currency, once the transfers in flight settle. */
  private void assertBooksBalance() throws Exception {
    List<String> ids = new ArrayList<>(FIXTURES);
    ids.addAll(created);
    String last = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      Map<String, long[]> totals = new HashMap<>();
      for (String id : ids) {
        JsonNode a = account(id);
        long[] t = totals.computeIfAbsent(a.get("currency").asText(), c -> new long[4]);
        t[0] += a.get("debits_posted").asLong();
        t[1] += a.get("credits_posted").asLong();
        t[2] += a.get("debits_pending").asLong();
        t[3] += a.get("credits_pending").asLong();
      }
      last = totals.entrySet().stream().map(e -> e.getKey() + Arrays.toString(e.getValue()))
          .collect(Collectors.joining(" "));
      if (totals.values().stream().allMatch(t -> t[0] == t[1] && t[2] == t[3])) {
        return;
      }
      Thread.sleep(200);
    }
    fail("seed " + SEED + ": S1 does not hold: " + last);
  }

  private final List<String> created = new ArrayList<>();

  // ---- valid requests, one per route -------------------------------------------------------

  private Request seedRequest() {
    String n = Integer.toString(++serial);
    String account = pick(FIXTURES);
    return switch (random.nextInt(19)) {
      case 0 -> request("GET", "/accounts?limit=" + (1 + random.nextInt(20)) + "&currency=USD&status=open", null);
      case 1 -> request("POST", "/accounts", "{\"id\":\"fz-n" + n + "\",\"currency\":\"" + pick(List.of("USD", "EUR"))
          + "\",\"min_balance\":null,\"max_balance\":1000000,\"metadata\":{\"k\":\"v\"}}");
      case 2 -> request("GET", "/accounts/" + account, null);
      case 3 -> request("PATCH", "/accounts/" + account, "{\"metadata\":{\"m\":\"" + n + "\"},\"max_balance\":null}");
      case 4 -> request("POST", "/accounts/" + pick(List.of("fz-l", "fz-c")) + "/"
          + pick(List.of("lock", "unlock", "close")), null);
      case 5 -> request("GET", "/accounts/" + account + "/entries?after_version=1&limit=5&min_version=1", null);
      case 6 -> request("GET", "/accounts/" + account + "/balance?at=2026-01-01T00:00:00Z", null);
      case 7 -> request("GET", "/accounts/" + account + "/transfers?limit=5", null);
      case 8, 9 -> request("POST", "/transfers", "{\"id\":\"fz-t" + n + "\",\"debit_account_id\":\"fz-a\","
          + "\"credit_account_id\":\"fz-b\",\"amount\":" + (1 + random.nextInt(50)) + ",\"currency\":\"USD\""
          + (random.nextBoolean() ? ",\"pending\":true,\"timeout_seconds\":3600" : "") + ",\"metadata\":{\"o\":\"1\"}}");
      case 10 -> request("POST", "/transfers", "{\"id\":\"fz-m" + n + "\",\"legs\":[{\"debit_account_id\":\"fz-a\","
          + "\"credit_account_id\":\"fz-b\",\"amount\":3,\"currency\":\"USD\"},{\"debit_account_id\":\"fz-c\","
          + "\"credit_account_id\":\"fz-d\",\"amount\":2,\"currency\":\"EUR\"}]}");
      case 11 -> request("POST", "/transfers/batch", "{\"transfers\":[{\"id\":\"fz-b" + n + "\",\"debit_account_id\":"
          + "\"fz-b\",\"credit_account_id\":\"fz-a\",\"amount\":2,\"currency\":\"USD\"},{\"id\":\"fz-bb" + n
          + "\",\"debit_account_id\":\"fz-a\",\"credit_account_id\":\"fz-b\",\"amount\":1,\"currency\":\"USD\"}]}");
      case 12 -> request("GET", "/transfers/" + pick(List.of("fz-p", "fz-fund", "fz-t" + (serial - 1))), null);
      case 13 -> request("POST", "/transfers/fz-p/post", "{\"amount\":" + (1 + random.nextInt(100)) + "}");
      case 14 -> request("POST", "/transfers/fz-p/void", null);
      case 15 -> request("GET", "/recon", null);
      case 16 -> request("GET", "/metrics", null);
      case 17 -> request("GET", "/openapi.yaml", null);
      default -> random.nextInt(10) == 0 ? request("POST", "/recon/run", null) : request("GET", "/recon", null);
    };
  }

  private static Request request(String method, String path, String body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", TestKeys.bearer());
    if (body != null) {
      headers.put("Content-Type", "application/json");
    }
    return new Request(method, path, headers, body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
  }

  // ---- mutations -----------------------------------------------------------------------------

  private Request mutate(Request r) {
    int mutations = 1 + random.nextInt(3);
    for (int i = 0; i < mutations; i++) {
      r = switch (random.nextInt(10)) {
        case 0, 1, 2 -> mutateJson(r);
        case 3 -> mutateText(r);
        case 4, 5 -> mutatePath(r);
        case 6 -> mutateQuery(r);
        case 7, 8 -> mutateHeaders(r);
        default -> mutateMethod(r);
      };
    }
    return r;
  }

  private Request mutateJson(Request r) {
    JsonNode root;
    try {
      root = r.body().length == 0 ? NODES.objectNode() : tree(r.body());
    } catch (IOException notJson) {
      return mutateText(r);
    }
    if (root == null) {
      root = NODES.objectNode();
    }
    List<ObjectNode> objects = new ArrayList<>();
    collectObjects(root, objects);
    if (objects.isEmpty() || random.nextInt(10) == 0) {
      return withBody(r, randomValue(0).toString());
    }
    ObjectNode target = pick(objects);
    List<String> fields = new ArrayList<>();
    target.fieldNames().forEachRemaining(fields::add);
    switch (random.nextInt(4)) {
      case 0 -> {
        if (!fields.isEmpty()) {
          target.remove(pick(fields));
        }
      }
      case 1 -> target.set(pick(List.of("unknown", "ID", "amount ", "", "legs", "transfers", "pending")), randomValue(0));
      default -> {
        if (!fields.isEmpty()) {
          target.set(pick(fields), randomValue(0));
        }
      }
    }
    return withBody(r, root.toString());
  }

  /**
   * A body parsed for mutation, or IOException if it is not JSON or has a number longer than
   * {@link #NUMBER_LENGTH_MAX} characters: a streaming pass reads no number's value, while a
   * tree would turn a 1,000,000-digit one into a BigInteger in quadratic time (over a minute).
   */
  private static JsonNode tree(byte[] body) throws IOException {
    try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(body)) {
      for (var t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t.isNumeric() && p.getTextLength() > NUMBER_LENGTH_MAX) {
          throw new IOException("a number of " + p.getTextLength() + " characters");
        }
      }
    }
    return JSON.readTree(body);
  }

  private static void collectObjects(JsonNode node, List<ObjectNode> into) {
    if (node instanceof ObjectNode o) {
      into.add(o);
    }
    node.elements().forEachRemaining(child -> collectObjects(child, into));
  }

  private JsonNode randomValue(int depth) {
    return switch (random.nextInt(depth > 2 ? 8 : 11)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.booleanNode(random.nextBoolean());
      case 2 -> NODES.numberNode(pick(List.of(0L, -1L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, 100000L)));
      case 3 -> NODES.numberNode(pick(List.of(1.5, 1e3, -0.0, 1e300)));
      case 4 -> NODES.numberNode(new java.math.BigInteger("9223372036854775808"));
      case 5 -> NODES.textNode(pick(List.of("", "fz-a", "fz-b", "fz-c", "fz-l", "USD", "EUR", "usd", "X".repeat(65),
          "a b", "../x", "\u0000", "\ud800", "\u00fc", "9", "true", "fz-p")));
      case 6 -> NODES.textNode("y".repeat(pick(List.of(64, 65, 256, 257, 4097, 70_000))));
      case 7 -> NODES.numberNode(1 + random.nextInt(1000));
      case 8 -> {
        ArrayNode a = NODES.arrayNode();
        int n = pick(List.of(0, 1, 2, 17, 1001));
        for (int i = 0; i < Math.min(n, 1001); i++) {
          a.add(n > 20 ? NODES.numberNode(i) : randomValue(depth + 1));
        }
        yield a;
      }
      case 9 -> {
        ObjectNode o = NODES.objectNode();
        int n = pick(List.of(0, 1, 3, 17));
        for (int i = 0; i < n; i++) {
          o.set("k" + i, n > 3 ? NODES.textNode("v") : randomValue(depth + 1));
        }
        yield o;
      }
      default -> {
        JsonNode deep = NODES.numberNode(1);
        int depthWanted = pick(List.of(15, 17, 200));
        for (int i = 0; i < depthWanted; i++) {
          deep = NODES.arrayNode().add(deep);
        }
        yield deep;
      }
    };
  }

  private Request mutateText(Request r) {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    String mutated = switch (random.nextInt(9)) {
      case 0 -> text.isEmpty() ? "{" : text.substring(0, random.nextInt(text.length()));
      case 1 -> text.isEmpty() ? "x" : flip(text);
      case 2 -> text.replaceFirst("\\{", "{\"id\":\"dup\",");
      case 3 -> "";
      case 4 -> "{\"metadata\":{\"k\":\"\\ud800\"}," + (text.startsWith("{") ? text.substring(1) : "}");
      case 5 -> "[".repeat(100_000);
      case 6 -> "9".repeat(pick(List.of(40, 1_000_000)));
      case 7 -> text + text;
      default -> "{\"a\":\"" + "z".repeat(1_500_000) + "\"}";
    };
    byte[] bytes = mutated.getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(8) == 0) { // invalid UTF-8 somewhere
      bytes = Arrays.copyOf(bytes, bytes.length + 2);
      bytes[bytes.length - 2] = (byte) 0xC3;
      bytes[bytes.length - 1] = (byte) 0x28;
    }
    return new Request(r.method(), r.path(), r.headers(), bytes);
  }

  private String flip(String text) {
    char[] chars = text.toCharArray();
    chars[random.nextInt(chars.length)] = pick(List.of('"', '{', '}', ',', ':', '\\', '0', 'x', ' ', '\u0001'));
    return new String(chars);
  }

  private Request mutatePath(Request r) {
    String path = r.path();
    int q = path.indexOf('?');
    String query = q < 0 ? "" : path.substring(q);
    List<String> segments = new ArrayList<>(List.of(path.substring(1, q < 0 ? path.length() : q).split("/", -1)));
    String odd = pick(List.of("", "X".repeat(65), "%2F", "%00", "%zz", "%", "..", ".", "%C3%BC", "a%20b", "fz-a;x=1",
        "FZ-A", "fz-a%0d%0aX-Injected:1", "\u00fc", "x".repeat(9000), "fz-p", "fz-nope"));
    switch (random.nextInt(5)) {
      case 0 -> segments.set(random.nextInt(segments.size()), odd);
      case 1 -> segments.add(odd);
      case 2 -> segments.add(random.nextInt(segments.size() + 1), odd);
      case 3 -> segments.set(0, segments.get(0).toUpperCase(java.util.Locale.ROOT));
      default -> segments.remove(segments.size() - 1);
    }
    return new Request(r.method(), "/" + String.join("/", segments) + query, r.headers(), r.body());
  }

  private Request mutateQuery(Request r) {
    String name = pick(List.of("limit", "after", "after_version", "min_version", "at", "currency", "status", "bogus"));
    String value = pick(List.of("", "-1", "0", "1", "1001", "9223372036854775807", "9223372036854775808", "1e3", "abc",
        "%zz", "%00", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00%2B01:00", "open", "OPEN", "fz-a", "x".repeat(300)));
    String separator = r.path().contains("?") ? "&" : "?";
    return new Request(r.method(), r.path() + separator + name + "=" + value
        + (random.nextInt(5) == 0 ? "&" + name + "=1" : ""), r.headers(), r.body());
  }

  private Request mutateHeaders(Request r) {
    Map<String, String> headers = new LinkedHashMap<>(r.headers());
    switch (random.nextInt(10)) {
      case 0 -> headers.remove("Authorization");
      case 1 -> headers.put("Authorization", pick(List.of("Basic Zm9vOmJhcg==", "Bearer", "Bearer ", "Bearer lk_x_y",
          "Bearer " + "a".repeat(5000), "bearer " + TestKeys.key().text(), "Bearer eyJhbGciOiJub25lIn0.e30.")));
      case 2 -> headers.put("Content-Type", pick(List.of("text/plain", "application/json; charset=ISO-8859-1",
          "application/xml", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "nonsense")));
      case 3 -> headers.remove("Content-Type");
      case 4 -> headers.put("Content-Encoding", pick(List.of("gzip", "deflate", "br", "identity")));
      case 5 -> headers.put("Accept", pick(List.of("text/html", "application/xml", "*/*", "application/json;q=0")));
      case 6 -> headers.put("X-Large", "h".repeat(pick(List.of(100, 7000, 20_000))));
      case 7 -> headers.put("Transfer-Encoding", "chunked");
      case 8 -> headers.put("Expect", "100-continue");
      default -> headers.put("Content-Length", pick(List.of("-1", "abc", "99999999999")));
    }
    return new Request(r.method(), r.path(), headers, r.body());
  }

  private Request mutateMethod(Request r) {
    return new Request(pick(List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO")), r.path(),
        r.headers(), r.body());
  }

  private Request withBody(Request r, String body) {
    return new Request(r.method(), r.path(), r.headers(), body.getBytes(StandardCharsets.UTF_8));
  }

  private <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  // ---- the wire and the checks ------------------------------------------------------------

  private Response post(String path, String body) throws IOException {
    return send(request("POST", path, body.isEmpty() ? null : body));
  }

  private static void expect(int status, Response r) {
    assertEquals(r.body(), status, r.status());
  }

  /** The outcome's label ("201", "400 invalid_id"...) once the answer is a documented one. */
  private String check(Request request, Response response) throws IOException {
    int status = response.status();
    if (status >= 200 && status < 300) {
      if (request.method().equals("POST") && request.path().equals("/accounts") && status == 201) {
        created.add(JSON.readTree(response.body()).get("id").asText());
      }
      return Integer.toString(status);
    }
    String where = "seed " + SEED + ": " + request.describe() + "\n -> " + status + " " + response.contentType()
        + " " + (response.body().length() > 500 ? response.body().substring(0, 500) : response.body());
    if (request.method().equals("HEAD")) {
      assertTrue(where, status >= 400 && status < 500);
      return status + " (HEAD, no body)";
    }
    assertTrue("not JSON: " + where, response.contentType() != null
        && response.contentType().startsWith("application/json"));
    JsonNode error = JSON.readTree(response.body()).path("error");
    String code = error.path("code").asText("");
    assertTrue("undocumented code: " + where, CODES.contains(code));
    ResultCode result = ResultCode.valueOf(code.toUpperCase(java.util.Locale.ROOT));
    if (status == 422 && JSON.readTree(response.body()).has("transfer")) {
      // A rejected transfer is 422 with its record, whichever account refused it and why.
      assertTrue("not a transfer refusal: " + where, TRANSFER_REFUSALS.contains(result));
      return status + " " + code;
    }
    assertEquals("status of " + code + ": " + where, ErrorMapping.status(result).intValue(), status);
    // docs/api.md: a recon run that outlasts the request timeout (20 s) is 503 unavailable and goes on.
    boolean reconRun = request.method().equals("POST") && request.path().split("\\?", 2)[0].equals("/recon/run");
    boolean askAgain = result == ResultCode.DATA_NOT_READY || result == ResultCode.OVERLOADED
        || (result == ResultCode.UNAVAILABLE && reconRun);
    assertTrue("a 5xx: " + where, status < 500 || askAgain);
    return status + " " + code;
  }

  private Response send(Request r) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write((r.method() + " " + r.path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
        .getBytes(StandardCharsets.UTF_8));
    boolean lengthGiven = r.headers().containsKey("Content-Length") || r.headers().containsKey("Transfer-Encoding");
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      head.write((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (!lengthGiven) {
      head.write(("Content-Length: " + r.body().length + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    head.write("\r\n".getBytes(StandardCharsets.UTF_8));
    long start = System.nanoTime();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) HANG.toMillis());
      OutputStream out = socket.getOutputStream();
      try {
        out.write(head.toByteArray());
        out.write(r.body());
        out.flush();
        socket.shutdownOutput();
      } catch (IOException closedEarly) {
        // The server may answer (413, 400) and close before reading a large body: read that answer.
      }
      byte[] raw = readResponse(socket.getInputStream(), r.method().equals("HEAD"));
      return parse(raw, r);
    } catch (SocketTimeoutException hang) {
      throw new AssertionError("seed " + SEED + ": no answer within " + HANG + " ("
          + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms): " + r.describe());
    }
  }

  /**
   * Reads until the answer is complete by its own framing (Content-Length or the last chunk),
   * not until the server closes: after an early answer the server may wait out the rest of a
   * request body that will never come (a "chunked" body that is not chunked) before closing.
   */
  private static byte[] readResponse(InputStream in, boolean head) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        all.write(buffer, 0, n);
        if (complete(all.toByteArray(), head)) {
          break;
        }
      }
    } catch (java.net.SocketException reset) {
      // Connection reset after the answer was sent (the server did not read the whole body).
    }
    return all.toByteArray();
  }

  private static boolean complete(byte[] raw, boolean headRequest) {
    int at = 0;
    while (true) {
      int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), at);
      if (end < 0) {
        return false;
      }
      String head = new String(raw, at, end - at, StandardCharsets.ISO_8859_1);
      if (head.startsWith("HTTP/1.1 1")) { // 100 Continue: the real answer follows
        at = end + 4;
        continue;
      }
      if (headRequest) {
        return true;
      }
      int bodyStart = end + 4;
      for (String line : head.split("\r\n")) {
        String lower = line.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          return raw.length - bodyStart >= Long.parseLong(line.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          int last = indexOf(raw, "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), bodyStart);
          return last == bodyStart || (last > bodyStart + 1 && raw[last - 2] == '\r' && raw[last - 1] == '\n');
        }
      }
      return false; // no framing: the answer ends when the server closes
    }
  }

  private static Response parse(byte[] raw, Request r) {
    int at = 0;
    while (true) {
      int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), at);
      String head = end < 0 ? "" : new String(raw, at, end - at, StandardCharsets.ISO_8859_1);
      if (!head.startsWith("HTTP/1.1 ")) {
        throw new AssertionError("seed " + SEED + ": no HTTP answer (" + raw.length + " bytes) to " + r.describe());
      }
      int status = Integer.parseInt(head.substring(9, 12));
      if (status < 200) { // 100 Continue: the real answer follows
        at = end + 4;
        continue;
      }
      String contentType = null;
      boolean chunked = false;
      for (String line : head.split("\r\n")) {
        String lower = line.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("content-type:")) {
          contentType = line.substring(13).trim();
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
      return new Response(status, contentType, new String(chunked ? dechunk(body) : body, StandardCharsets.UTF_8));
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] dechunk(byte[] chunked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < chunked.length) {
      int lineEnd = indexOf(chunked, "\r\n".getBytes(StandardCharsets.US_ASCII), at);
      int size = Integer.parseInt(new String(chunked, at, lineEnd - at, StandardCharsets.US_ASCII).trim(), 16);
      if (size == 0) {
        break;
      }
      out.write(chunked, lineEnd + 2, size);
      at = lineEnd + 2 + size + 2;
    }
    return out.toByteArray();
  }

}
