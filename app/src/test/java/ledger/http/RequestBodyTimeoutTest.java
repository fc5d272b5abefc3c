package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import ledger.testing.RunningNode;
import ledger.testing.TestHttp;
import ledger.testing.TestIds;
import ledger.testing.TestKeys;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * A client that declares a request body and never sends all of it holds nothing for long: it
 * is answered, and its connection closed, within ledger.http.body-timeout (a route that reads
 * a body) or at once (a route that does not), while every other client is served as usual.
 * Before body-timeout a body that never ended was answered 503 unavailable ("the outcome is
 * unknown") after ask-timeout, and one declared over request-body-max was never answered: the
 * connection was held until akka.http.server.idle-timeout (60 s), since Akka's request-timeout
 * starts only at the end of a request. Each socket here sends part of its request, then neither
 * sends more nor closes.
 */
public class RequestBodyTimeoutTest {
  @ClassRule
  public static final RunningNode node = RunningNode.inMemory();
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Slack over the configured bound for a loaded 2-core machine. */
  private static final Duration SLACK = Duration.ofSeconds(3);
  private static Duration bodyTimeout;
  private static int port;
  private static ExecutorService pool;

  private record Answer(int status, String code, long answeredMs, long closedMs) {}

  @BeforeClass
  public static void connect() {
    bodyTimeout = node.config().getDuration("ledger.http.body-timeout");
    port = node.node().httpAddress().getPort();
    pool = Executors.newFixedThreadPool(8);
  }

  @AfterClass
  public static void shutdown() {
    pool.shutdownNow();
  }

  private static String head(String method, String path, boolean auth, String framing) {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + (auth ? "Authorization: " + TestKeys.bearer() + "\r\n" : "")
        + "Content-Type: application/json\r\n" + framing + "\r\n\r\n";
  }

  @Test
  public void aBodyThatNeverEndsIsAnsweredWithinTheBodyTimeoutAndOthersAreServedMeanwhile() throws Exception {
    String part = "{\"id\":\"" + TestIds.next("bt") + "\"";
    List<CompletableFuture<Answer>> held = List.of(
        hold(head("POST", "/accounts", true, "Content-Length: 1000") + part),
        hold(head("POST", "/transfers", true, "Transfer-Encoding: chunked") + "5\r\n{\"id\"\r\n"),
        hold(head("POST", "/accounts", true, "Content-Length: 1500000") + part)); // over 1 MiB, under 2 MiB

    // While those wait, another client is answered as quickly as ever.
    Thread.sleep(300);
    long start = System.nanoTime();
    TestHttp.Response other = node.http().get("/accounts/" + TestIds.next("absent"));
    long otherMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(404, other.status());
    assertTrue("another client waited " + otherMs + " ms", otherMs < 2_000);

    long bound = bodyTimeout.plus(SLACK).toMillis();
    List<Answer> answers = new java.util.ArrayList<>();
    for (CompletableFuture<Answer> a : held) {
      answers.add(a.get());
    }
    String all = "all three: " + answers;
    assertBounded(all, answers.get(0), 400, "bad_request", bound);
    assertBounded(all, answers.get(1), 400, "bad_request", bound);
    assertBounded(all, answers.get(2), 413, "body_too_large", bound);
  }

  @Test
  public void aRouteThatAnswersBeforeTheBodyClosesTheConnectionAtOnce() throws Exception {
    String part = "{\"id\":\"" + TestIds.next("bt") + "\"";
    long bound = SLACK.toMillis();
    assertBounded("", hold(head("POST", "/accounts", false, "Content-Length: 1000") + part).get(),
        401, "unauthenticated", bound);
    assertBounded("", hold(head("GET", "/accounts/" + TestIds.next("absent"), true, "Content-Length: 1000") + part).get(),
        404, "account_not_found", bound);
    assertBounded("", hold(head("POST", "/nowhere", true, "Transfer-Encoding: chunked") + "5\r\n{\"id\"\r\n").get(),
        404, "not_found", bound);
    assertBounded("", hold(head("POST", "/accounts", true, "Content-Length: 99999999999") + part).get(),
        413, "body_too_large", bound);
  }

  private static void assertBounded(String context, Answer a, int status, String code, long boundMs) {
    String what = a + " (bound " + boundMs + " ms) " + context;
    assertEquals(what, status, a.status());
    assertEquals(what, code, a.code());
    assertTrue("answered late: " + what, a.answeredMs() >= 0 && a.answeredMs() <= boundMs);
    assertTrue("connection held: " + what, a.closedMs() >= 0 && a.closedMs() <= boundMs + 1_000);
  }

  /**
   * Sends {@code request} (a head and part of its body), then neither sends more nor closes;
   * waits at most 20 s for the answer and for the server to close the connection.
   */
  private static CompletableFuture<Answer> hold(String request) {
    return CompletableFuture.supplyAsync(() -> {
      long start = System.nanoTime();
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long answered = -1;
        byte[] buffer = new byte[8192];
        try {
          for (int n; (n = in.read(buffer)) >= 0; ) {
            answered = answered < 0 ? (System.nanoTime() - start) / 1_000_000 : answered;
            got.write(buffer, 0, n);
          }
        } catch (SocketException reset) {
          // closed with unread bytes in its buffer: a close all the same
        } catch (SocketTimeoutException stillOpen) {
          return new Answer(-1, "no close within 20 s; got " + got.size() + " bytes", answered, -1);
        }
        long closed = (System.nanoTime() - start) / 1_000_000;
        String text = got.toString(StandardCharsets.UTF_8);
        if (!text.startsWith("HTTP/1.1 ")) {
          return new Answer(-1, "no answer: " + text, answered, closed);
        }
        int body = text.indexOf("\r\n\r\n");
        String code = JSON.readTree(text.substring(body + 4)).path("error").path("code").asText();
        return new Answer(Integer.parseInt(text.substring(9, 12)), code, answered, closed);
      } catch (IOException e) {
        return new Answer(-1, e.toString(), -1, -1);
      }
    }, pool);
  }
}
