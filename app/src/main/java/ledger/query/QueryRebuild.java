package ledger.query;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import ledger.cassandra.CassandraConnection;

/**
 * `./ledger rebuild-query`: empties every query table and the projection offsets, so that the
 * projections, when the nodes start again, rebuild every row from the journal (events-by-tag
 * from `first-time-bucket`). Run it with every node stopped (or with projections disabled):
 * a running projection would carry on from the offset it holds in memory.
 */
public final class QueryRebuild {
  private QueryRebuild() {}

  public static List<String> tables() {
    List<String> tables = new ArrayList<>(QueryStore.TABLES);
    tables.add("offset_store");
    tables.add("projection_management");
    return tables;
  }

  public static void run(Config config) {
    String keyspace = config.getString("ledger.cassandra.keyspace");
    try (CqlSession session = CassandraConnection.openSession(config)) {
      for (String table : tables()) {
        session.execute(SimpleStatement.newInstance("TRUNCATE " + keyspace + "." + table)
            .setTimeout(Duration.ofSeconds(60)));
      }
    }
  }
}
