package ledger.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

/**
 * Cassandra's own count of local reads of a table (system_views.local_read_latency: one a
 * partition read), and the most tombstones one read of it met (system_views.tombstones_per_read),
 * for tests that measure what a query costs.
 */
public final class CassandraReads {
  private CassandraReads() {}

  public static long reads(CqlSession cql, String keyspace, String table) {
    return value(cql, "local_read_latency", "count", keyspace, table);
  }

  public static long tombstonesPerReadMax(CqlSession cql, String keyspace, String table) {
    return value(cql, "tombstones_per_read", "max", keyspace, table);
  }

  private static long value(CqlSession cql, String view, String column, String keyspace, String table) {
    Row r = cql.execute(SimpleStatement.newInstance("SELECT " + column + " FROM system_views." + view
        + " WHERE keyspace_name = ? AND table_name = ?", keyspace, table)).one();
    return r == null ? 0 : ((Number) r.getObject(column)).longValue();
  }
}
