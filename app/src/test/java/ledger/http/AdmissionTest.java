package ledger.http;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess$;
import akka.persistence.testkit.WriteEvents;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import ledger.LedgerNode;
import ledger.testing.TestHttp;
import ledger.testing.TestHttp.Response;
import ledger.testing.TestNodes;
import ledger.transfer.Admission;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * Admission control: past {@code ledger.http.transfers-in-flight-max} a transfer request is
 * answered 503 overloaded with Retry-After, before any entity hears of it. The node here admits
 * one transfer at a time; a transfer held in its coordinator's first journal write (the
 * in-memory journal waits on a latch for it) keeps that one place taken.
 */
public class AdmissionTest {
  private static final CountDownLatch release = new CountDownLatch(1);
  private static LedgerNode node;
  private static TestHttp http;

  @BeforeClass
  public static void start() {
    node = LedgerNode.start(ConfigFactory.parseString("ledger.http.transfers-in-flight-max = 1")
        .withFallback(TestNodes.inMemoryNode()), Duration.ofSeconds(30));
    http = new TestHttp("http://127.0.0.1:" + node.httpAddress().getPort());
    PersistenceTestKit.create(node.system()).withPolicy((String persistenceId, JournalOperation op) -> {
      if (persistenceId.equals("Transfer|held") && op instanceof WriteEvents) {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return ProcessingSuccess$.MODULE$;
    });
  }

  @AfterClass
  public static void stop() {
    release.countDown();
    node.stop(Duration.ofSeconds(30));
  }

  @Test
  public void takesPlacesAllOrNone() {
    List<Integer> seen = new ArrayList<>();
    Admission a = new Admission(3, seen::add);
    assertTrue(a.tryEnter(2));
    assertFalse("2 + 2 > 3", a.tryEnter(2));
    assertTrue(a.tryEnter(1));
    assertFalse(a.tryEnter(1));
    a.exit(2);
    assertTrue(a.tryEnter(2));
    a.exit(3);
    assertEquals(0, a.inFlight());
    assertTrue("a batch larger than the bound runs alone", a.tryEnter(10));
    assertFalse(a.tryEnter(1));
    a.exit(10);
    assertEquals(List.of(2, 3, 1, 3, 0, 10, 0), seen);
  }

  @Test
  public void refusesTransfersPastTheBoundBeforeStartingThem() throws Exception {
    String op = account(",\"min_balance\":null");
    String to = account("");
    CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> http.post("/transfers", transfer("held", op, to)));
    awaitInFlight(1);

    Response refused = http.post("/transfers", transfer("refused", op, to));
    assertEquals(refused.body(), 503, refused.status());
    assertEquals("overloaded", refused.errorCode());
    assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
    Response batch = http.post("/transfers/batch", "{\"transfers\":[" + transfer("refused-in-batch", op, to) + "]}");
    assertEquals(batch.body(), 503, batch.status());
    assertEquals("overloaded", batch.errorCode());
    assertEquals(503, http.post("/transfers/held/void").status());

    release.countDown();
    assertEquals(201, held.get(20, TimeUnit.SECONDS).status());
    awaitInFlight(0);
    assertEquals("nothing was started", 404, http.get("/transfers/refused").status());
    assertEquals(404, http.get("/transfers/refused-in-batch").status());
    assertEquals("admitted once the place is free", 201, http.post("/transfers", transfer("refused", op, to)).status());
  }

  private static int accounts;

  private static String account(String extra) {
    String id = "adm-" + (++accounts);
    Response r = http.post("/accounts", "{\"id\":\"" + id + "\",\"currency\":\"USD\"" + extra + "}");
    assertEquals(r.body(), 201, r.status());
    return id;
  }

  private static String transfer(String id, String debit, String credit) {
    return "{\"id\":\"" + id + "\",\"debit_account_id\":\"" + debit + "\",\"credit_account_id\":\"" + credit
        + "\",\"amount\":5,\"currency\":\"USD\"}";
  }

  /** Polls the node's gauge until it shows {@code n} transfers in flight (10 s at most). */
  private static void awaitInFlight(int n) throws InterruptedException {
    String line = "ledger_transfers_in_flight " + n + ".0";
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!http.get("/metrics").body().contains(line)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never saw " + line);
      }
      Thread.sleep(20);
    }
  }
}
