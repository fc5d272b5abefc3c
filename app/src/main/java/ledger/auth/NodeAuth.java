package ledger.auth;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A node's authentication, from {@code ledger.auth}: its key store, the bootstrap key, the authenticator. */
public final class NodeAuth {
  private static final Logger log = LoggerFactory.getLogger(NodeAuth.class);

  private NodeAuth() {}

  /** The node's authenticator, or null when authentication is off (logged as a warning). */
  public static Authenticator start(ActorSystem<?> system, Config config) {
    AuthSettings settings = AuthSettings.fromConfig(config);
    if (!settings.enabled()) {
      log.warn("Authentication is OFF (ledger.auth.enabled = false): every request may do everything. "
          + "For benchmark comparisons only; never in production.");
      return null;
    }
    KeyHasher hasher = settings.hasher();
    KeyStore store = store(system, config, settings);
    settings.bootstrapKeyFile().ifPresent(file -> {
      ApiKey key = BootstrapKey.ensure(file, hasher, store, Clock.systemUTC(), settings.lookupTimeout().multipliedBy(5),
          Duration.ofSeconds(90));
      log.info("Bootstrap API key {} registered from {}", key.id(), file);
    });
    JwtVerifier jwt = JwtSettings.fromConfig(config)
        .map(s -> new JwtVerifier(s, system.dispatchers().lookup(DispatcherSelector.blocking())))
        .orElse(null);
    if (jwt != null) {
      log.info("Bearer JWTs accepted from issuer {} (keys from {})", config.getString("ledger.auth.jwt.issuer"),
          config.getString("ledger.auth.jwt.jwks-url"));
    }
    return new Authenticator(hasher, store, settings, Clock.systemUTC(), jwt);
  }

  private static KeyStore store(ActorSystem<?> system, Config config, AuthSettings settings) {
    return switch (settings.store()) {
      case "cassandra" -> new CassandraKeyStore(
          () -> CassandraSessionRegistry.get(system).sessionFor("akka.persistence.cassandra").underlying(),
          config.getString("ledger.cassandra.keyspace"), settings.lookupTimeout());
      case "memory" -> new MemoryKeyStore();
      default -> throw new IllegalArgumentException("ledger.auth.store must be cassandra or memory, got "
          + settings.store());
    };
  }
}
