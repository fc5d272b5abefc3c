package ledger.auth;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code ledger.auth}, read once. */
public record AuthSettings(boolean enabled, String hashKey, String store, Duration cacheTtl, int cacheSizeMax,
                           int negativeCacheSizeMax, Duration staleIfError, Duration lookupTimeout,
                           Optional<Path> bootstrapKeyFile) {
  /** An Authorization header longer than this is refused unread (a key is 63 characters, a JWT ~1 KiB). */
  public static final int HEADER_LENGTH_MAX = 4096;
  public static final int PREFIXES_MAX = 16;
  public static final int PREFIX_LENGTH_MAX = 64;
  public static final int NAME_LENGTH_MAX = 200;

  public static AuthSettings fromConfig(Config root) {
    Config c = root.getConfig("ledger.auth");
    String file = c.getString("bootstrap-key-file");
    return new AuthSettings(c.getBoolean("enabled"), c.getString("hash-key"), c.getString("store"),
        c.getDuration("cache-ttl"), c.getInt("cache-size-max"), c.getInt("negative-cache-size-max"),
        c.getDuration("stale-if-error"), c.getDuration("lookup-timeout"),
        file.isBlank() ? Optional.empty() : Optional.of(Path.of(file)));
  }

  /** The hasher of this node; a node with authentication on refuses to start without a usable hash key. */
  public KeyHasher hasher() {
    if (hashKey.isBlank()) {
      throw new IllegalStateException("authentication is on but no hash key is configured: set LEDGER_AUTH_HASH_KEY "
          + "(or ledger.auth.hash-key) to at least 32 random bytes in base64, e.g. `openssl rand -base64 32`, "
          + "the same on every node");
    }
    return KeyHasher.fromBase64(hashKey);
  }
}
