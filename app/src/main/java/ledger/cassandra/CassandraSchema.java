package ledger.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The explicit CQL of resources/schema/ledger.cql with the configured keyspace and replication
 * filled in. Dev mode and tests apply it; production prints it (`./ledger schema`) for an
 * operator, because concurrent schema changes from several nodes corrupt Cassandra's schema.
 */
public final class CassandraSchema {
  private static final Pattern KEYSPACE = Pattern.compile("^[a-z][a-z0-9_]{0,47}$");
  private static final Duration AGREEMENT_TIMEOUT = Duration.ofSeconds(60);

  private CassandraSchema() {}

  public static String render(Config config) {
    String keyspace = config.getString("ledger.cassandra.keyspace");
    if (!KEYSPACE.matcher(keyspace).matches()) {
      throw new IllegalArgumentException("invalid keyspace name: " + keyspace);
    }
    return template()
        .replace("${keyspace}", keyspace)
        .replace("${replication}", config.getString("ledger.cassandra.replication"));
  }

  public static List<String> statements(Config config) {
    String withoutComments = render(config).lines()
        .filter(line -> !line.stripLeading().startsWith("--"))
        .reduce("", (a, b) -> a + b + "\n");
    return Arrays.stream(withoutComments.split(";"))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  /**
   * Applies every statement (all are IF NOT EXISTS, so applying twice is harmless), each once the
   * cluster agrees on the schema before it. The session keeps no schema metadata: the driver
   * would otherwise refresh it after every statement, after a 1 s debounce (17 statements took
   * 23 s on the 2-core box), and nothing here reads it.
   */
  public static void apply(Config config) {
    try (CqlSession session = CassandraConnection.openSession(config,
        Map.of("advanced.metadata.schema.enabled", false))) {
      for (String cql : statements(config)) {
        execute(session, cql);
      }
    }
  }

  /** One schema statement (up to 60 s: DDL beside a load takes seconds), then the cluster's agreement on it. */
  public static void execute(CqlSession session, String cql) {
    session.execute(SimpleStatement.newInstance(cql).setTimeout(Duration.ofSeconds(60)));
    awaitAgreement(session, cql);
  }

  /** Waits (up to AGREEMENT_TIMEOUT) until every live Cassandra node has the same schema version. */
  private static void awaitAgreement(CqlSession session, String cql) {
    long deadline = System.nanoTime() + AGREEMENT_TIMEOUT.toNanos();
    // Each check itself polls for up to the driver's schema-agreement timeout (10 s by default).
    while (!session.checkSchemaAgreement()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Cassandra's nodes do not agree on the schema " + AGREEMENT_TIMEOUT
            + " after: " + cql.lines().findFirst().orElse(cql));
      }
    }
  }

  private static String template() {
    try (InputStream in = CassandraSchema.class.getResourceAsStream("/schema/ledger.cql")) {
      if (in == null) {
        throw new IllegalStateException("schema/ledger.cql is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
