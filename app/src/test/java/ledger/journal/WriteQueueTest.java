package ledger.journal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.Test;

/** Group commit across entities: what goes out together, in what order, and what a failure fails. */
public class WriteQueueTest {
  /** Records each request and lets the test complete it. */
  static final class Requests implements WriteQueue.Sender<String> {
    final List<List<String>> sent = new ArrayList<>();
    final List<CompletableFuture<Void>> outcomes = new ArrayList<>();

    @Override
    public CompletionStage<Void> send(List<String> writes) {
      sent.add(List.copyOf(writes));
      CompletableFuture<Void> outcome = new CompletableFuture<>();
      outcomes.add(outcome);
      return outcome;
    }
  }

  private static WriteQueue<String> queue(int inFlight, int maxWrites, int maxBytes, int maxQueued, Requests r) {
    return new WriteQueue<>(inFlight, maxWrites, maxBytes, maxQueued, r, Runnable::run);
  }

  @Test
  public void writesThatComeWhileARequestIsOutGoTogetherInTheNextInOrder() {
    Requests r = new Requests();
    WriteQueue<String> q = queue(1, 64, 1_000, 100, r);
    CompletionStage<Void> a = q.submit("a", 10);
    CompletionStage<Void> b = q.submit("b", 10);
    CompletionStage<Void> c = q.submit("c", 10);
    CompletionStage<Void> d = q.submit("d", 10);
    assertEquals(List.of(List.of("a")), r.sent);
    assertEquals(3, q.waiting());
    r.outcomes.get(0).complete(null);
    assertTrue(a.toCompletableFuture().isDone());
    assertFalse("b waits for its own request", b.toCompletableFuture().isDone());
    assertEquals(List.of(List.of("a"), List.of("b", "c", "d")), r.sent);
    r.outcomes.get(1).complete(null);
    assertTrue(b.toCompletableFuture().isDone() && c.toCompletableFuture().isDone()
        && d.toCompletableFuture().isDone());
    assertEquals(0, q.waiting());
    // Nothing out: the next write goes at once.
    q.submit("e", 10);
    assertEquals(List.of("e"), r.sent.get(2));
  }

  @Test
  public void upToTheInFlightBoundWritesGoAtOnce() {
    Requests r = new Requests();
    WriteQueue<String> q = queue(2, 64, 1_000, 100, r);
    q.submit("a", 10);
    q.submit("b", 10);
    q.submit("c", 10);
    assertEquals(List.of(List.of("a"), List.of("b")), r.sent);
    r.outcomes.get(1).complete(null);
    assertEquals(List.of("c"), r.sent.get(2));
  }

  @Test
  public void aRequestHoldsAtMostTheWriteAndByteBoundsAndAWriteIsNeverSplit() {
    Requests r = new Requests();
    WriteQueue<String> q = queue(1, 2, 100, 100, r);
    q.submit("first", 10);
    q.submit("b", 10);
    q.submit("c", 10);
    q.submit("d", 10);      // third of the batch: over two writes
    q.submit("big", 500);   // over the byte bound: alone
    q.submit("e", 60);
    q.submit("f", 50);      // 60 + 50 > 100: the next request
    r.outcomes.get(0).complete(null);
    r.outcomes.get(1).complete(null);
    r.outcomes.get(2).complete(null);
    r.outcomes.get(3).complete(null);
    r.outcomes.get(4).complete(null);
    assertEquals(List.of(List.of("first"), List.of("b", "c"), List.of("d"), List.of("big"), List.of("e"),
        List.of("f")), r.sent);
  }

  @Test
  public void aFailedRequestFailsEveryWriteItCarriedAndTheNextStillGoes() {
    Requests r = new Requests();
    WriteQueue<String> q = queue(1, 64, 1_000, 100, r);
    CompletionStage<Void> a = q.submit("a", 10);
    CompletionStage<Void> b = q.submit("b", 10);
    CompletionStage<Void> c = q.submit("c", 10);
    r.outcomes.get(0).complete(null);
    CompletionStage<Void> d = q.submit("d", 10);
    r.outcomes.get(1).completeExceptionally(new IllegalStateException("write timeout"));
    for (CompletionStage<Void> failed : List.of(b, c)) {
      try {
        failed.toCompletableFuture().join();
        throw new AssertionError("a write of the failed request succeeded");
      } catch (CompletionException e) {
        assertEquals("write timeout", e.getCause().getMessage());
      }
    }
    assertTrue(a.toCompletableFuture().isDone() && !a.toCompletableFuture().isCompletedExceptionally());
    assertEquals(List.of("d"), r.sent.get(2));
    r.outcomes.get(2).complete(null);
    assertFalse(d.toCompletableFuture().isCompletedExceptionally());
  }

  @Test
  public void aSenderThatThrowsFailsItsWritesAndFreesItsSlot() {
    Requests r = new Requests();
    boolean[] thrown = {false};
    WriteQueue<String> q = new WriteQueue<>(1, 64, 1_000, 100, writes -> {
      if (!thrown[0]) {
        thrown[0] = true;
        throw new IllegalStateException("no session");
      }
      return r.send(writes);
    }, Runnable::run);
    assertTrue(q.submit("a", 10).toCompletableFuture().isCompletedExceptionally());
    q.submit("b", 10);
    assertEquals(List.of(List.of("b")), r.sent);
  }

  @Test
  public void pastTheQueueBoundAWriteIsRefusedAtOnce() {
    Requests r = new Requests();
    WriteQueue<String> q = queue(1, 64, 1_000, 2, r);
    q.submit("a", 10);   // out
    q.submit("b", 10);   // waiting 1
    q.submit("c", 10);   // waiting 2
    CompletableFuture<Void> refused = q.submit("d", 10).toCompletableFuture();
    assertTrue(refused.isCompletedExceptionally());
    try {
      refused.join();
    } catch (CompletionException e) {
      assertTrue(e.getCause() instanceof WriteQueue.Overloaded);
    }
    r.outcomes.get(0).complete(null);
    assertEquals(List.of("b", "c"), r.sent.get(1));
  }
}
