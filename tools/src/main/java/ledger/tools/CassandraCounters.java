package ledger.tools;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cassandra's own counters of local reads and writes per table (its virtual tables
 * system_views.local_read_latency and local_write_latency; a write is one mutation of one
 * partition), for the bench tools. {@code hostPort} is "host:port" of a node in datacenter1. A
 * Cassandra with PasswordAuthenticator is logged into with the node's variables
 * (LEDGER_CASSANDRA_USERNAME, LEDGER_CASSANDRA_PASSWORD); these tools do not speak TLS to it.
 */
final class CassandraCounters implements AutoCloseable {
  private final CqlSession cql;

  CassandraCounters(String hostPort) {
    String[] hp = hostPort.split(":");
    var builder = CqlSession.builder().withLocalDatacenter("datacenter1")
        .addContactPoint(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
    String username = System.getenv("LEDGER_CASSANDRA_USERNAME");
    if (username != null && !username.isEmpty()) {
      builder.withAuthCredentials(username, System.getenv().getOrDefault("LEDGER_CASSANDRA_PASSWORD", ""));
    }
    this.cql = builder.build();
  }

  Map<String, Long> reads(String keyspace) {
    return counts("local_read_latency", keyspace);
  }

  Map<String, Long> writes(String keyspace) {
    return counts("local_write_latency", keyspace);
  }

  private Map<String, Long> counts(String view, String keyspace) {
    Map<String, Long> byTable = new TreeMap<>();
    for (Row r : cql.execute(SimpleStatement.newInstance("SELECT table_name, count FROM system_views." + view
        + " WHERE keyspace_name = ?", keyspace))) {
      byTable.put(r.getString("table_name"), r.getLong("count"));
    }
    return byTable;
  }

  @Override
  public void close() {
    cql.close();
  }
}
