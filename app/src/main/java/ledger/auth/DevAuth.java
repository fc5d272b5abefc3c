package ledger.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Authentication for `./ledger dev` and the local cluster: a hash key generated once into the
 * data folder and a bootstrap key file beside it, unless the environment or config set them.
 */
public final class DevAuth {
  public static final String HASH_KEY_FILE = "auth-hash-key";
  public static final String KEY_FILE = "dev-api-key";

  private DevAuth() {}

  /** {@code config} with the data folder's hash key and key file where it has none. */
  public static Config withDataDir(Config config, Path dataDir) {
    Map<String, Object> dev = new HashMap<>();
    if (config.getString("ledger.auth.hash-key").isBlank()) {
      dev.put("ledger.auth.hash-key", hashKey(dataDir.resolve(HASH_KEY_FILE)));
    }
    if (config.getString("ledger.auth.bootstrap-key-file").isBlank()) {
      dev.put("ledger.auth.bootstrap-key-file", dataDir.resolve(KEY_FILE).toAbsolutePath().toString());
    }
    return ConfigFactory.parseMap(dev).withFallback(config);
  }

  /** The hash key in {@code file}, generated (mode 0600) if there is none. */
  static String hashKey(Path file) {
    try {
      if (Files.exists(file)) {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
      }
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      String text = Base64.getEncoder().encodeToString(key);
      Path dir = Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = Files.createTempFile(dir, ".auth-hash-key-", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(tmp, text + "\n", StandardCharsets.US_ASCII);
        Files.createLink(file, tmp);
        return text;
      } catch (FileAlreadyExistsException other) {
        return Files.readString(file, StandardCharsets.US_ASCII).strip();
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read or write the dev hash key " + file, e);
    }
  }
}
