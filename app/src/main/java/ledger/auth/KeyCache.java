package ledger.auth;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * This node's recent key lookups, each trusted for {@code ttl}: a revocation or expiry takes
 * effect on every node within a ttl, with no Cassandra read per request. Known and unknown ids
 * are bounded separately, so a flood of made-up ids cannot push the real keys out. Concurrent
 * lookups of one id share one read. When a read fails, an entry younger than ttl + staleIfError
 * is still used (Cassandra briefly away); without one the lookup fails (the caller answers 503).
 */
final class KeyCache {
  private record Cached(CompletableFuture<Optional<KeyRecord>> value, long loadedAt) {}

  private final KeyStore store;
  private final long ttlNanos;
  private final long staleNanos;
  private final int knownMax;
  private final int unknownMax;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Cached> known = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> unknown = new ConcurrentHashMap<>();

  KeyCache(KeyStore store, AuthSettings settings, LongSupplier nanoTime) {
    this.store = store;
    this.ttlNanos = settings.cacheTtl().toNanos();
    this.staleNanos = settings.cacheTtl().plus(settings.staleIfError()).toNanos();
    this.knownMax = settings.cacheSizeMax();
    this.unknownMax = settings.negativeCacheSizeMax();
    this.nanoTime = nanoTime;
  }

  CompletionStage<Optional<KeyRecord>> get(String id) {
    long now = nanoTime.getAsLong();
    Cached cached = known.get(id);
    if (cached != null && now - cached.loadedAt < ttlNanos) {
      return cached.value;
    }
    Long missing = unknown.get(id);
    if (cached == null && missing != null && now - missing < ttlNanos) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return load(id, cached, now);
  }

  private CompletionStage<Optional<KeyRecord>> load(String id, Cached previous, long now) {
    Cached loading = new Cached(new CompletableFuture<>(), now);
    boolean mine = previous == null ? known.putIfAbsent(id, loading) == null : known.replace(id, previous, loading);
    if (!mine) {
      Cached other = known.get(id);
      return other != null ? other.value : store.find(id);
    }
    makeRoom(known, knownMax, now);
    store.find(id).whenComplete((found, failure) -> {
      if (failure == null) {
        settle(id, loading, found);
      } else {
        fallBack(id, loading, previous, failure);
      }
    });
    return loading.value;
  }

  private void settle(String id, Cached loading, Optional<KeyRecord> found) {
    if (found.isEmpty()) {
      known.remove(id, loading);
      makeRoom(unknown, unknownMax, loading.loadedAt);
      unknown.put(id, loading.loadedAt);
    } else {
      unknown.remove(id);
    }
    loading.value.complete(found);
  }

  private void fallBack(String id, Cached loading, Cached previous, Throwable failure) {
    long now = nanoTime.getAsLong();
    boolean usable = previous != null && previous.value.isDone() && !previous.value.isCompletedExceptionally()
        && now - previous.loadedAt < staleNanos;
    if (usable) {
      known.replace(id, loading, previous);
      loading.value.complete(previous.value.join());
    } else {
      known.remove(id, loading);
      loading.value.completeExceptionally(failure);
    }
  }

  /** Drops expired entries once full; if all are fresh, arbitrary ones (a bound, not an LRU). */
  private <V> void makeRoom(ConcurrentHashMap<String, V> map, int max, long now) {
    if (map.size() < max) {
      return;
    }
    map.entrySet().removeIf(e -> now - loadedAt(e.getValue()) >= staleNanos);
    Iterator<Map.Entry<String, V>> it = map.entrySet().iterator();
    while (map.size() >= max && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  private static long loadedAt(Object value) {
    return value instanceof Cached c ? c.loadedAt : (Long) value;
  }
}
