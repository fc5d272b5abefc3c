package ledger.fencing;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node_leases table (schema/ledger.cql) for {@link NodeLease}: compare-and-set writes as
 * lightweight transactions (serial consistency SERIAL, commit at QUORUM, never retried by the
 * driver: a CAS is not idempotent), reads at QUORUM so that a committed CAS is seen. Every
 * write sets the row's time to live, so rows of past incarnations go away by themselves.
 */
final class CassandraLeaseTable implements NodeLease.Table {
  /** A bound on a read: each restart of a node adds a row, which lives row-ttl. */
  static final int MAX_ROWS = 10_000;

  private final Supplier<CompletionStage<CqlSession>> session;
  private final String table;
  private final Duration timeout;
  private final int ttlSeconds;

  CassandraLeaseTable(Supplier<CompletionStage<CqlSession>> session, String keyspace, Duration timeout,
                      Duration rowTtl) {
    this.session = session;
    this.table = keyspace + ".node_leases";
    this.timeout = timeout;
    this.ttlSeconds = Math.toIntExact(rowTtl.toSeconds());
  }

  @Override
  public CompletionStage<NodeLease.Cas> insert(String node) {
    return run(SimpleStatement.newInstance("INSERT INTO " + table + " (node, epoch) VALUES (?, 0) IF NOT EXISTS "
        + "USING TTL " + ttlSeconds, node).setSerialConsistencyLevel(ConsistencyLevel.SERIAL))
        .thenApply(rs -> cas(rs, 0));
  }

  @Override
  public CompletionStage<NodeLease.Cas> advance(String node, long from, long to) {
    return run(SimpleStatement.newInstance("UPDATE " + table + " USING TTL " + ttlSeconds
        + " SET epoch = ? WHERE node = ? IF epoch = ?", to, node, from)
        .setSerialConsistencyLevel(ConsistencyLevel.SERIAL))
        .thenApply(rs -> cas(rs, to));
  }

  /** Not applied: the row's epoch comes back, or nothing at all when the row is gone. */
  private static NodeLease.Cas cas(AsyncResultSet rs, long written) {
    if (rs.wasApplied()) {
      return new NodeLease.Cas(true, written);
    }
    Row row = rs.one();
    boolean present = row != null && row.getColumnDefinitions().contains("epoch") && !row.isNull("epoch");
    return new NodeLease.Cas(false, present ? row.getLong("epoch") : null);
  }

  @Override
  public CompletionStage<Map<String, Long>> readAll() {
    return run(SimpleStatement.newInstance("SELECT node, epoch FROM " + table))
        .thenCompose(rs -> collect(rs, new HashMap<>()));
  }

  /**
   * Every page: a row not seen is a node not waited for, so a read that cannot see the whole
   * table fails (the shard waiting on it asks again) instead of answering with part of it.
   */
  private static CompletionStage<Map<String, Long>> collect(AsyncResultSet rs, Map<String, Long> rows) {
    for (Row r : rs.currentPage()) {
      if (!r.isNull("epoch")) {
        rows.put(r.getString("node"), r.getLong("epoch"));
      }
    }
    if (rows.size() > MAX_ROWS) {
      return CompletableFuture.failedFuture(new IllegalStateException("node_leases holds more than " + MAX_ROWS
          + " live rows, more node incarnations than a day should have"));
    }
    return rs.hasMorePages() ? rs.fetchNextPage().thenCompose(next -> collect(next, rows))
        : CompletableFuture.completedFuture(rows);
  }

  private CompletionStage<AsyncResultSet> run(SimpleStatement statement) {
    SimpleStatement st = statement.setConsistencyLevel(ConsistencyLevel.QUORUM).setIdempotent(false)
        .setTimeout(timeout);
    return session.get().thenCompose(s -> s.executeAsync(st)).toCompletableFuture()
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
