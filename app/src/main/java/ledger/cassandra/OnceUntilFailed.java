package ledger.cassandra;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The result of an asynchronous call per key (a prepared statement per CQL string), made once
 * and shared while it succeeds. A call that failed (Cassandra away or too slow at that moment) is
 * forgotten as it fails: its callers get the failure, and the next caller makes the call again.
 * Caching the failed result instead would fail every later use of the key until the node
 * restarts.
 */
public final class OnceUntilFailed<K, V> {
  private final Map<K, CompletionStage<V>> results = new ConcurrentHashMap<>();
  private final Function<K, CompletionStage<V>> call;

  public OnceUntilFailed(Function<K, CompletionStage<V>> call) {
    this.call = call;
  }

  public CompletionStage<V> get(K key) {
    boolean[] made = {false};
    CompletionStage<V> result = results.computeIfAbsent(key, k -> {
      made[0] = true;
      try {
        return call.apply(k);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    });
    // Only the caller that made the call watches it (outside computeIfAbsent, which must not
    // change the map): every later use of a kept result is a lookup alone.
    if (made[0]) {
      result.whenComplete((value, failure) -> {
        if (failure != null) {
          results.remove(key, result);
        }
      });
    }
    return result;
  }
}
