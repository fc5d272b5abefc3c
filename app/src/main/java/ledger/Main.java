package ledger;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import ledger.auth.ApiKey;
import ledger.auth.BootstrapKey;
import ledger.auth.DevAuth;
import ledger.auth.KeysCli;
import ledger.cassandra.CassandraSchema;
import ledger.cassandra.EmbeddedCassandra;
import ledger.cluster.LocalCluster;
import ledger.query.QueryRebuild;

/**
 * Entry point: {@code dev} (embedded Cassandra + one node), {@code node}, {@code schema},
 * {@code rebuild-query}, and for the local cluster of {@code ./ledger cluster}:
 * {@code cassandra} (the embedded Cassandra alone, schema applied) and {@code local-node} (a node
 * of the loopback cluster); {@code keys} administers API keys.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String mode = args.length == 0 ? "node" : args[0];
    switch (mode) {
      case "dev" -> dev();
      case "node" -> LedgerNode.start(asProcess(ConfigFactory.load()), Duration.ofSeconds(30));
      case "schema" -> System.out.println(CassandraSchema.render(ConfigFactory.load()));
      case "rebuild-query" -> rebuildQuery(args.length > 1 && args[1].equals("--dev"));
      case "cassandra" -> cassandra();
      case "local-node" -> LedgerNode.start(asProcess(DevAuth.withDataDir(
          LocalCluster.nodeConfig(System.getenv("LEDGER_CONTACT_POINTS")), dataDir())), Duration.ofSeconds(30));
      case "keys" -> keys(List.of(args).subList(1, args.length));
      default -> {
        System.err.println("usage: Main dev|node|schema|rebuild-query [--dev]|cassandra|local-node|keys [--dev] ...");
        System.exit(2);
      }
    }
  }

  /**
   * Empties the query tables and projection offsets; the projections rebuild them from the
   * journal when the nodes start again. With --dev it uses the dev Cassandra (started if needed).
   */
  private static void rebuildQuery(boolean dev) {
    Config config = dev ? ConfigFactory.load("dev") : ConfigFactory.load();
    EmbeddedCassandra cassandra = dev
        ? EmbeddedCassandra.startOrReuse(devCassandra(config), Duration.ofMinutes(3)) : null;
    try {
      QueryRebuild.run(config);
      System.out.println("Emptied " + String.join(", ", QueryRebuild.tables()) + " in keyspace "
          + config.getString("ledger.cassandra.keyspace") + ". Start the nodes: the projections rebuild from the journal.");
    } finally {
      if (cassandra != null && cassandra.startedHere()) {
        cassandra.close();
      }
    }
  }

  /**
   * {@code keys create|list|revoke} against the configured Cassandra; with --dev, the dev
   * Cassandra (which must be up) and the dev data folder's hash key.
   */
  private static void keys(List<String> args) {
    boolean dev = !args.isEmpty() && args.get(0).equals("--dev");
    Config config = dev ? DevAuth.withDataDir(ConfigFactory.load("dev"), dataDir()) : ConfigFactory.load();
    int code = new KeysCli(config, System.out, System.err, Clock.systemUTC())
        .run(dev ? args.subList(1, args.size()) : args);
    System.exit(code);
  }

  private static void dev() {
    Config config = asProcess(DevAuth.withDataDir(ConfigFactory.load("dev"), dataDir()));
    EmbeddedCassandra cassandra = EmbeddedCassandra.startOrReuse(devCassandra(config), Duration.ofMinutes(3));
    LedgerNode node;
    try {
      CassandraSchema.apply(config);
      node = LedgerNode.start(config, Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      cassandra.close();
      throw e;
    }
    // Cassandra goes last: after the ActorSystem (and so the journal) has stopped.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.awaitTermination(Duration.ofSeconds(60));
      cassandra.close();
    }, "stop-embedded-cassandra"));
    int mgmt = config.getInt("akka.management.http.port");
    System.out.printf("%nLedger is up.%n  API:        http://%s:%d/accounts%n"
            + "  Ready:      http://127.0.0.1:%d/ready%n  Members:    http://127.0.0.1:%d/cluster/members%n"
            + "  Cassandra:  %s (%s)%nCtrl-C stops the node%s.%n%n",
        node.httpAddress().getHostString(), node.httpAddress().getPort(), mgmt, mgmt, cassandra.address(),
        cassandra.startedHere() ? "embedded" : "reused",
        cassandra.startedHere() ? ", then Cassandra" : "");
    printDevKey(config, node);
  }

  /** The dev key (every scope), as a header and a request to paste. */
  private static void printDevKey(Config config, LedgerNode node) {
    if (!config.getBoolean("ledger.auth.enabled")) {
      System.out.printf("Authentication is OFF (LEDGER_AUTH_ENABLED=false).%n%n");
      return;
    }
    ApiKey key = BootstrapKey.readOrCreate(Path.of(config.getString("ledger.auth.bootstrap-key-file")));
    System.out.printf("Development API key (every scope; in %s):%n  Authorization: Bearer %s%n"
            + "Try:%n  curl -H \"Authorization: Bearer %s\" http://%s:%d/accounts%n%n",
        config.getString("ledger.auth.bootstrap-key-file"), key.text(), key.text(),
        node.httpAddress().getHostString(), node.httpAddress().getPort());
  }

  /** The local cluster's Cassandra: started (or reused), schema applied, stopped on SIGTERM. */
  private static void cassandra() {
    Config config = ConfigFactory.load("dev");
    EmbeddedCassandra cassandra = EmbeddedCassandra.startOrReuse(devCassandra(config), Duration.ofMinutes(3));
    Runtime.getRuntime().addShutdownHook(new Thread(cassandra::close, "stop-embedded-cassandra"));
    CassandraSchema.apply(config);
    System.out.printf("Cassandra is up on %s (%s), schema applied.%n", cassandra.address(),
        cassandra.startedHere() ? "embedded" : "reused");
    try {
      Thread.currentThread().join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A node that is its own process exits when its ActorSystem stops (downed by the split
   * brain resolver, or shut down), so that its supervisor restarts it. Set here, not in
   * application.conf, so that tests running nodes inside the test JVM are not killed.
   */
  private static Config asProcess(Config config) {
    return ConfigFactory.parseString("akka.coordinated-shutdown.exit-jvm = on").withFallback(config);
  }

  private static Path dataDir() {
    return Path.of(System.getenv().getOrDefault("LEDGER_DATA_DIR", "data"));
  }

  private static EmbeddedCassandra.Settings devCassandra(Config config) {
    String dataDir = dataDir().toString();
    String libDir = System.getProperty("ledger.cassandra.lib-dir", "cassandra-dist/target/lib");
    int storagePort = Integer.parseInt(System.getenv().getOrDefault("LEDGER_CASSANDRA_STORAGE_PORT", "7000"));
    return new EmbeddedCassandra.Settings(Path.of(libDir), Path.of(dataDir, "cassandra").toAbsolutePath(),
        "127.0.0.1", config.getInt("ledger.cassandra.port"), storagePort,
        System.getenv().getOrDefault("LEDGER_CASSANDRA_HEAP", "512M"));
  }
}
