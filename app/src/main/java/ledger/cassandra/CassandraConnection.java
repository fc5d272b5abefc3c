package ledger.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Where Cassandra is: {@code ledger.cassandra.contact-points} ("host:port,...") and the DC. */
public final class CassandraConnection {
  private CassandraConnection() {}

  public static List<String> contactPointStrings(Config config) {
    return Arrays.stream(config.getString("ledger.cassandra.contact-points").split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  public static List<InetSocketAddress> contactPoints(Config config) {
    return contactPointStrings(config).stream().map(CassandraConnection::parseHostPort).toList();
  }

  /** The DataStax driver settings the persistence plugin reads, derived from ledger.cassandra. */
  public static Config driverConfig(Config config) {
    return ConfigFactory.parseMap(Map.of(
        "datastax-java-driver.basic.contact-points", contactPointStrings(config),
        "datastax-java-driver.basic.load-balancing-policy.local-datacenter",
        config.getString("ledger.cassandra.local-datacenter")));
  }

  public static CqlSession openSession(Config config) {
    var builder = CqlSession.builder()
        .withLocalDatacenter(config.getString("ledger.cassandra.local-datacenter"));
    for (InetSocketAddress address : contactPoints(config)) {
      builder.addContactPoint(address);
    }
    return builder.build();
  }

  private static InetSocketAddress parseHostPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("contact point must be host:port, got " + hostPort);
    }
    return InetSocketAddress.createUnresolved(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
