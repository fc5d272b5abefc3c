package ledger.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.internal.core.config.typesafe.DefaultDriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where Cassandra is ({@code ledger.cassandra.contact-points} "host:port,..." and the DC) and how
 * to log in: PasswordAuthenticator credentials and TLS, turned into the DataStax driver settings
 * that every session of the node and of the CLI commands is built from.
 */
public final class CassandraConnection {
  private CassandraConnection() {}

  public static List<String> contactPointStrings(Config config) {
    return Arrays.stream(config.getString("ledger.cassandra.contact-points").split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  /**
   * The DataStax driver settings derived from ledger.cassandra, over {@code datastax-java-driver}:
   * the persistence plugin's sessions read them from the actor system's config, and
   * {@link #openSession} from the same.
   */
  public static Config driverConfig(Config config) {
    String driver = "datastax-java-driver.";
    Map<String, Object> settings = new HashMap<>(Map.of(
        driver + "basic.contact-points", contactPointStrings(config),
        driver + "basic.load-balancing-policy.local-datacenter", config.getString("ledger.cassandra.local-datacenter")));
    String username = config.getString("ledger.cassandra.username");
    if (!username.isEmpty()) {
      String password = config.getString("ledger.cassandra.password");
      if (password.isEmpty()) {
        throw new IllegalArgumentException("ledger.cassandra.username is set but ledger.cassandra.password "
            + "(LEDGER_CASSANDRA_PASSWORD) is empty");
      }
      settings.put(driver + "advanced.auth-provider.class", "PlainTextAuthProvider");
      settings.put(driver + "advanced.auth-provider.username", username);
      settings.put(driver + "advanced.auth-provider.password", password);
    }
    Config tls = config.getConfig("ledger.cassandra.tls");
    if (tls.getBoolean("enabled")) {
      settings.put(driver + "advanced.ssl-engine-factory.class", "DefaultSslEngineFactory");
      settings.put(driver + "advanced.ssl-engine-factory.hostname-validation", tls.getBoolean("hostname-validation"));
      if (!tls.getString("truststore-path").isEmpty()) {
        settings.put(driver + "advanced.ssl-engine-factory.truststore-path", tls.getString("truststore-path"));
        settings.put(driver + "advanced.ssl-engine-factory.truststore-password", tls.getString("truststore-password"));
      }
    }
    return ConfigFactory.parseMap(settings);
  }

  /** A session of its own (CLI commands, schema), with the same settings as the node's sessions. */
  public static CqlSession openSession(Config config) {
    return openSession(config, Map.of());
  }

  /**
   * As {@link #openSession(Config)}, with {@code overrides} of driver settings (paths under
   * {@code datastax-java-driver}) for this session alone.
   */
  public static CqlSession openSession(Config config, Map<String, Object> overrides) {
    Config driver = ConfigFactory.parseMap(overrides).atPath("datastax-java-driver")
        .withFallback(driverConfig(config)).withFallback(config).withFallback(ConfigFactory.defaultReference())
        .resolve().getConfig("datastax-java-driver");
    return CqlSession.builder().withConfigLoader(new DefaultDriverConfigLoader(() -> driver, false)).build();
  }
}
