package ledger.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import ledger.auth.ApiKey;
import ledger.auth.BootstrapKey;

/**
 * The API key every test node accepts and every {@link TestHttp} sends: one bootstrap key file
 * and one hash key per test JVM, given to in-JVM nodes by config and to node processes by env.
 */
public final class TestKeys {
  private static final String HASH_KEY = newHashKey();
  private static Path file;
  private static ApiKey key;

  private TestKeys() {}

  public static synchronized Path bootstrapFile() {
    if (file == null) {
      try {
        Path root = Files.createDirectories(Path.of(System.getProperty("ledger.test.data-dir", "target/test-data")));
        file = root.resolve("api-key-" + ProcessHandle.current().pid()).toAbsolutePath();
        Files.deleteIfExists(file);
        key = BootstrapKey.readOrCreate(file);
        file.toFile().deleteOnExit();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return file;
  }

  public static synchronized ApiKey key() {
    bootstrapFile();
    return key;
  }

  public static String bearer() {
    return "Bearer " + key().text();
  }

  public static String hashKey() {
    return HASH_KEY;
  }

  /** What a test node needs to accept {@link #key()}. */
  public static Map<String, Object> nodeConfig() {
    return Map.of("ledger.auth.hash-key", HASH_KEY,
        "ledger.auth.bootstrap-key-file", bootstrapFile().toString());
  }

  private static String newHashKey() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
