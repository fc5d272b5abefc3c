package ledger.cassandra;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The explicit DDL and the production rule that the plugins never create schema. */
public class CassandraSchemaTest {

  @Test
  public void productionConfigNeverAutocreatesSchema() {
    Config prod = ConfigFactory.load();
    for (String part : List.of("journal", "snapshot")) {
      assertFalse(prod.getBoolean("akka.persistence.cassandra." + part + ".keyspace-autocreate"));
      assertFalse(prod.getBoolean("akka.persistence.cassandra." + part + ".tables-autocreate"));
      assertEquals("ledger", prod.getString("akka.persistence.cassandra." + part + ".keyspace"));
    }
    assertEquals("QUORUM", prod.getString(
        "datastax-java-driver.profiles.akka-persistence-cassandra-profile.basic.request.consistency"));
    assertEquals("QUORUM", prod.getString(
        "datastax-java-driver.profiles.akka-projection-cassandra-profile.basic.request.consistency"));
    // Projection offsets live in the ledger keyspace, in the tables of schema/ledger.cql.
    assertEquals("ledger", prod.getString("akka.projection.cassandra.offset-store.keyspace"));
  }

  @Test
  public void renderedSchemaCreatesEveryTableInTheConfiguredKeyspace() {
    Config config = ConfigFactory.parseMap(Map.of(
        "ledger.cassandra.keyspace", "bank_a",
        "ledger.cassandra.replication", "{'class': 'NetworkTopologyStrategy', 'dc1': 3}"))
        .withFallback(ConfigFactory.load());
    List<String> statements = CassandraSchema.statements(config);
    assertTrue(statements.get(0).startsWith("CREATE KEYSPACE IF NOT EXISTS bank_a"));
    assertTrue(statements.get(0).contains("'dc1': 3"));
    List<String> tables = statements.stream().skip(1)
        .map(s -> s.replaceAll("(?s)CREATE TABLE IF NOT EXISTS bank_a\\.(\\w+).*", "$1")).toList();
    assertEquals(List.of("messages", "tag_views", "tag_write_progress", "tag_scanning", "metadata",
        "all_persistence_ids", "snapshots", "offset_store", "projection_management", "account_entries",
        "account_transfers", "account_list", "pending_legs", "api_keys", "node_leases", "cluster_settings"), tables);
    // Every query table is emptied by `./ledger rebuild-query`, with the offsets (never the keys,
    // leases or cluster settings).
    assertEquals(new java.util.HashSet<>(tables.subList(7, tables.size() - 3)),
        new java.util.HashSet<>(ledger.query.QueryRebuild.tables()));
    assertFalse(String.join("\n", statements).contains("${"));
  }

  @Test(expected = IllegalArgumentException.class)
  public void aKeyspaceNameThatIsNotAnIdentifierIsRefused() {
    CassandraSchema.render(ConfigFactory.parseMap(Map.of("ledger.cassandra.keyspace", "x; DROP TABLE y"))
        .withFallback(ConfigFactory.load()));
  }
}
