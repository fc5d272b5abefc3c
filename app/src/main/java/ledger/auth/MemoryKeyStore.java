package ledger.auth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keys in this node's memory: for nodes without Cassandra (tests on the in-memory journal),
 * where only the bootstrap key exists. Never a production setting: other nodes do not see it.
 */
public final class MemoryKeyStore implements KeyStore {
  private final ConcurrentHashMap<String, KeyRecord> keys = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Optional<KeyRecord>> find(String id) {
    return CompletableFuture.completedFuture(Optional.ofNullable(keys.get(id)));
  }

  @Override
  public CompletionStage<Boolean> insertIfAbsent(KeyRecord key) {
    return CompletableFuture.completedFuture(keys.putIfAbsent(key.id(), key) == null);
  }

  @Override
  public CompletionStage<List<KeyRecord>> list() {
    return CompletableFuture.completedFuture(List.copyOf(keys.values()));
  }

  @Override
  public CompletionStage<Boolean> revoke(String id, Instant at) {
    KeyRecord after = keys.computeIfPresent(id, (k, r) -> r.revokedAt() == null ? r.revoked(at) : r);
    return CompletableFuture.completedFuture(after != null);
  }
}
