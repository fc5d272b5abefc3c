package ledger.auth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Test;

/** The per-node key cache and the authenticator over it, with a fake store and a fake clock. */
public class KeyCacheTest {
  private static final Duration TTL = Duration.ofSeconds(5);
  private static final AuthSettings SETTINGS = new AuthSettings(true, "", "memory", TTL, 4, 4, Duration.ofSeconds(30),
      Duration.ofSeconds(1), Optional.empty());

  /** Counts reads; fails them while {@code down}. */
  private static final class FakeStore implements KeyStore {
    final ConcurrentHashMap<String, KeyRecord> keys = new ConcurrentHashMap<>();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicBoolean down = new AtomicBoolean();

    @Override
    public CompletionStage<Optional<KeyRecord>> find(String id) {
      reads.incrementAndGet();
      return down.get() ? CompletableFuture.failedFuture(new IllegalStateException("cassandra down"))
          : CompletableFuture.completedFuture(Optional.ofNullable(keys.get(id)));
    }

    @Override
    public CompletionStage<Boolean> insertIfAbsent(KeyRecord key) {
      return CompletableFuture.completedFuture(keys.putIfAbsent(key.id(), key) == null);
    }

    @Override
    public CompletionStage<java.util.List<KeyRecord>> list() {
      return CompletableFuture.completedFuture(List.copyOf(keys.values()));
    }

    @Override
    public CompletionStage<Boolean> revoke(String id, Instant at) {
      return CompletableFuture.completedFuture(keys.computeIfPresent(id, (k, r) -> r.revoked(at)) != null);
    }
  }

  private final FakeStore store = new FakeStore();
  private final AtomicLong now = new AtomicLong();
  private final KeyCache cache = new KeyCache(store, SETTINGS, now::get);

  private KeyRecord record(String id) {
    KeyRecord r = new KeyRecord(id, new byte[32], "t", EnumSet.of(Scope.ACCOUNTS_READ), List.of(), Instant.now(),
        null, null);
    store.keys.put(id, r);
    return r;
  }

  private Optional<KeyRecord> get(String id) {
    return cache.get(id).toCompletableFuture().join();
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  public void aKeyIsReadOncePerTtlAndARevocationIsSeenAfterIt() {
    record("k1");
    assertTrue(get("k1").isPresent());
    assertTrue(get("k1").isPresent());
    assertEquals(1, store.reads.get());
    store.revoke("k1", Instant.now());
    advance(TTL.minusMillis(1));
    assertTrue("still cached", get("k1").get().revokedAt() == null);
    advance(Duration.ofMillis(1));
    assertTrue("read again after the ttl", get("k1").get().revokedAt() != null);
    assertEquals(2, store.reads.get());
  }

  @Test
  public void unknownIdsAreCachedTooAndCannotPushOutKnownOnes() {
    record("k1");
    get("k1");
    for (int i = 0; i < 100; i++) {
      assertTrue(get("nope-" + i).isEmpty());
    }
    assertTrue(get("nope-99").isEmpty());
    assertEquals("the last unknown id is cached", 101, store.reads.get());
    assertTrue(get("k1").isPresent());
    assertEquals("the known key is still cached", 101, store.reads.get());
  }

  @Test
  public void theKnownEntriesAreBounded() {
    for (int i = 0; i < 10; i++) {
      record("k" + i);
      get("k" + i);
    }
    get("k0");
    get("k9");
    assertTrue("some of 10 keys were dropped to stay within 4", store.reads.get() > 10);
  }

  @Test
  public void aFailedReadFailsWithoutAnEntryAndUsesARecentOneWithin() {
    record("k1");
    store.down.set(true);
    try {
      get("k1");
      throw new AssertionError("a lookup without an entry succeeded while the store is down");
    } catch (CompletionException expected) {
      // the authenticator answers 503
    }
    store.down.set(false);
    get("k1");
    store.down.set(true);
    advance(TTL.plusSeconds(10));
    assertTrue("stale but recent: used", get("k1").isPresent());
    advance(Duration.ofSeconds(30));
    try {
      get("k1");
      throw new AssertionError("an entry older than ttl + stale-if-error was used");
    } catch (CompletionException expected) {
      // too old
    }
  }

  @Test
  public void theAuthenticatorChecksSecretExpiryAndRevocation() {
    KeyHasher hasher = new KeyHasher(new byte[32]);
    Authenticator auth = new Authenticator(hasher, store, SETTINGS, Clock.systemUTC());
    ApiKey good = ApiKey.generate();
    ApiKey expired = ApiKey.generate();
    store.insertIfAbsent(new KeyRecord(good.id(), hasher.hash(good.secret()), "g", EnumSet.allOf(Scope.class),
        List.of("t1-"), Instant.now(), null, null));
    store.insertIfAbsent(new KeyRecord(expired.id(), hasher.hash(expired.secret()), "e", EnumSet.allOf(Scope.class),
        List.of(), Instant.now(), Instant.now().minusSeconds(1), null));
    Authenticator.Outcome ok = outcome(auth, "Bearer " + good.text());
    assertTrue(ok instanceof Authenticator.Allowed a && a.caller().owns("t1-x") && !a.caller().owns("t2-x"));
    assertTrue(outcome(auth, "bearer " + good.text()) instanceof Authenticator.Allowed);
    assertEquals(new Authenticator.Denied(true), outcome(auth, "Bearer " + expired.text()));
    assertEquals(new Authenticator.Denied(true), outcome(auth, "Bearer " + new ApiKey(good.id(), expired.secret()).text()));
    assertEquals(new Authenticator.Denied(true), outcome(auth, "Bearer lk_zz"));
    assertEquals(new Authenticator.Denied(false), outcome(auth, null));
    assertEquals(new Authenticator.Denied(false), outcome(auth, "Basic abc"));
    store.down.set(true);
    assertEquals(new Authenticator.Unavailable(), outcome(auth, "Bearer " + ApiKey.generate().text()));
    assertFalse(good.toString().contains(good.secret()));
  }

  @Test
  public void callerPrefixesAreNormalized() {
    Caller c = new Caller("k", EnumSet.noneOf(Scope.class), List.of("b-", "a-", "a-x", "b-"));
    assertEquals(List.of("a-", "b-"), c.prefixes());
  }

  private static Authenticator.Outcome outcome(Authenticator auth, String header) {
    return auth.authenticate(Optional.ofNullable(header)).toCompletableFuture().join();
  }
}
