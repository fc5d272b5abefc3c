package ledger.cluster;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The shard count's record: the row 'number-of-shards' of cluster_settings (schema/ledger.cql),
 * written once by a lightweight transaction so that two nodes of a new cluster starting together
 * record one count; read at SERIAL so that a record being written is seen.
 */
final class CassandraShardCountStore implements ShardCount.Store {
  static final String NAME = "number-of-shards";
  /** Akka's persistent shard coordinator of the account type: it writes before any account shard runs. */
  static final String COORDINATOR = "/sharding/AccountCoordinator";

  private final Supplier<CompletionStage<CqlSession>> session;
  private final String settings;
  private final String messages;

  CassandraShardCountStore(Supplier<CompletionStage<CqlSession>> session, String keyspace, String journalKeyspace) {
    this.session = session;
    this.settings = keyspace + ".cluster_settings";
    this.messages = journalKeyspace + ".messages";
  }

  @Override
  public CompletionStage<Optional<Integer>> recorded() {
    return run(SimpleStatement.newInstance("SELECT value FROM " + settings + " WHERE name = ?", NAME)
        .setConsistencyLevel(ConsistencyLevel.SERIAL))
        .thenApply(rs -> Optional.ofNullable(rs.one()).map(CassandraShardCountStore::count));
  }

  @Override
  public CompletionStage<Integer> recordIfAbsent(int count) {
    return run(SimpleStatement.newInstance("INSERT INTO " + settings + " (name, value) VALUES (?, ?) IF NOT EXISTS",
            NAME, Integer.toString(count)).setSerialConsistencyLevel(ConsistencyLevel.SERIAL))
        .thenApply(rs -> rs.wasApplied() ? count : count(rs.one()));
  }

  @Override
  public CompletionStage<Boolean> coordinatorsWrote() {
    return run(SimpleStatement.newInstance("SELECT sequence_nr FROM " + messages
        + " WHERE persistence_id = ? AND partition_nr = 0 LIMIT 1", COORDINATOR))
        .thenApply(rs -> rs.one() != null);
  }

  private static int count(Row row) {
    String value = row.getString("value");
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException | NullPointerException e) {
      throw new ShardCount.Disagreement("cluster_settings holds '" + value + "' as the shard count, not a number");
    }
  }

  private CompletionStage<AsyncResultSet> run(SimpleStatement statement) {
    return session.get().thenCompose(s -> s.executeAsync(statement.setIdempotent(false)));
  }
}
