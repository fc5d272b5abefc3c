package ledger.auth;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The api_keys table of the ledger's keyspace (schema/ledger.cql). Reads and writes at
 * LOCAL_QUORUM, so a key written or revoked by the CLI is seen by the next read of any node.
 */
public final class CassandraKeyStore implements KeyStore {
  private static final String COLUMNS = "id, hash, name, scopes, account_prefixes, created_at, expires_at, revoked_at";
  /** A listing is for humans; past this many keys it is cut (and says so in the CLI). */
  public static final int LIST_MAX = 10_000;

  private final Supplier<CompletionStage<CqlSession>> session;
  private final String table;
  private final Duration timeout;

  public CassandraKeyStore(Supplier<CompletionStage<CqlSession>> session, String keyspace, Duration timeout) {
    this.session = session;
    this.table = keyspace + ".api_keys";
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Optional<KeyRecord>> find(String id) {
    return run(SimpleStatement.newInstance("SELECT " + COLUMNS + " FROM " + table + " WHERE id = ?", id))
        .thenApply(rs -> Optional.ofNullable(rs.one()).map(CassandraKeyStore::record));
  }

  @Override
  public CompletionStage<Boolean> insertIfAbsent(KeyRecord k) {
    SimpleStatement insert = SimpleStatement.newInstance("INSERT INTO " + table + " (" + COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS", k.id(), ByteBuffer.wrap(k.hash()), k.name(),
        wire(k.scopes()), k.prefixes(), k.createdAt(), k.expiresAt(), k.revokedAt())
        .setSerialConsistencyLevel(ConsistencyLevel.LOCAL_SERIAL);
    return run(insert).thenApply(AsyncResultSet::wasApplied);
  }

  @Override
  public CompletionStage<List<KeyRecord>> list() {
    return run(SimpleStatement.newInstance("SELECT " + COLUMNS + " FROM " + table + " LIMIT " + LIST_MAX))
        .thenCompose(rs -> collect(rs, new ArrayList<>()));
  }

  @Override
  public CompletionStage<Boolean> revoke(String id, Instant at) {
    return find(id).thenCompose(found -> {
      if (found.isEmpty() || found.get().revokedAt() != null) {
        return java.util.concurrent.CompletableFuture.completedFuture(found.isPresent());
      }
      return run(SimpleStatement.newInstance("UPDATE " + table + " SET revoked_at = ? WHERE id = ?", at, id))
          .thenApply(rs -> true);
    });
  }

  private CompletionStage<AsyncResultSet> run(SimpleStatement statement) {
    SimpleStatement st = statement.setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM).setTimeout(timeout);
    // Bounded as a whole: a session still connecting (Cassandra away at start) never answers.
    return session.get().thenCompose(s -> s.executeAsync(st)).toCompletableFuture()
        .orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private static CompletionStage<List<KeyRecord>> collect(AsyncResultSet rs, List<KeyRecord> into) {
    rs.currentPage().forEach(r -> into.add(record(r)));
    if (!rs.hasMorePages() || into.size() >= LIST_MAX) {
      return java.util.concurrent.CompletableFuture.completedFuture(into);
    }
    return rs.fetchNextPage().thenCompose(next -> collect(next, into));
  }

  private static KeyRecord record(Row r) {
    ByteBuffer hash = r.getByteBuffer("hash");
    byte[] bytes = null;
    if (hash != null) {
      bytes = new byte[hash.remaining()];
      hash.duplicate().get(bytes);
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    // A scope this version does not know (written by a newer one) grants nothing here.
    r.getSet("scopes", String.class).forEach(s -> Scope.parse(s).ifPresent(scopes::add));
    return new KeyRecord(r.getString("id"), bytes, r.getString("name"), scopes,
        r.getList("account_prefixes", String.class), r.getInstant("created_at"), r.getInstant("expires_at"),
        r.getInstant("revoked_at"));
  }

  private static Set<String> wire(Set<Scope> scopes) {
    return new java.util.TreeSet<>(scopes.stream().map(Scope::wire).toList());
  }
}
