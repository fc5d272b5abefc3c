package ledger.cassandra;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.Test;

public class OnceUntilFailedTest {
  /** Calls made, each completed by the test. */
  private final List<CompletableFuture<String>> calls = new ArrayList<>();
  private final OnceUntilFailed<String, String> once = new OnceUntilFailed<>(key -> {
    CompletableFuture<String> call = new CompletableFuture<>();
    calls.add(call);
    return call;
  });

  @Test
  public void aSuccessIsSharedAndKept() {
    CompletionStage<String> first = once.get("q");
    CompletionStage<String> second = once.get("q");
    assertEquals("callers while it is on its way share one call", 1, calls.size());
    calls.get(0).complete("prepared");
    assertEquals("prepared", first.toCompletableFuture().join());
    assertSame(first, second);
    assertEquals("prepared", once.get("q").toCompletableFuture().join());
    assertEquals("kept: no second call", 1, calls.size());
    once.get("other");
    assertEquals("another key is its own call", 2, calls.size());
  }

  @Test
  public void aFailureReachesItsCallersAndTheNextCallerCallsAgain() {
    CompletionStage<String> first = once.get("q");
    CompletionStage<String> waiting = once.get("q");
    calls.get(0).completeExceptionally(new IllegalStateException("Cassandra away"));
    assertFailed(first);
    assertFailed(waiting);
    CompletionStage<String> again = once.get("q");
    assertEquals("the failure was not kept", 2, calls.size());
    calls.get(1).complete("prepared");
    assertEquals("prepared", again.toCompletableFuture().join());
    assertEquals("prepared", once.get("q").toCompletableFuture().join());
    assertEquals(2, calls.size());
  }

  @Test
  public void aCallThatThrowsIsAFailureNotKept() {
    int[] attempts = {0};
    OnceUntilFailed<String, String> throwing = new OnceUntilFailed<>(key -> {
      if (attempts[0]++ == 0) {
        throw new IllegalStateException("no session");
      }
      return CompletableFuture.completedFuture("prepared");
    });
    assertFailed(throwing.get("q"));
    assertEquals("prepared", throwing.get("q").toCompletableFuture().join());
    assertEquals(2, attempts[0]);
  }

  private static void assertFailed(CompletionStage<String> stage) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      assertTrue(e.getCause() instanceof IllegalStateException);
      return;
    }
    throw new AssertionError("completed, not failed");
  }
}
