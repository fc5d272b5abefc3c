package ledger.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key of {@code ledger.auth.bootstrap-key-file}, for dev mode and tests: created with every
 * scope on first start, registered again (idempotently) on every start, by any number of nodes
 * sharing the file.
 */
public final class BootstrapKey {
  private static final Logger log = LoggerFactory.getLogger(BootstrapKey.class);

  private BootstrapKey() {}

  public static ApiKey ensure(Path file, KeyHasher hasher, KeyStore store, Clock clock, Duration timeout) {
    ApiKey key = readOrCreate(file);
    KeyRecord record = new KeyRecord(key.id(), hasher.hash(key.secret()), "bootstrap", EnumSet.allOf(Scope.class),
        List.of(), clock.instant(), null, null);
    try {
      boolean inserted = store.insertIfAbsent(record).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!inserted) {
        warnIfUnusable(store.find(key.id()).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS),
            record, file);
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not register the bootstrap key of " + file + ": " + e.getMessage(), e);
    }
    return key;
  }

  /** The key in {@code file}; if there is none, a new one written there (mode 0600, never half-written). */
  public static ApiKey readOrCreate(Path file) {
    Optional<ApiKey> existing = read(file);
    if (existing.isPresent()) {
      return existing.get();
    }
    ApiKey key = ApiKey.generate();
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".api-key-", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(tmp, key.text() + "\n", StandardCharsets.US_ASCII);
        // A hard link fails if the file exists: of nodes starting together, one key wins.
        Files.createLink(file, tmp);
        return key;
      } catch (FileAlreadyExistsException other) {
        return read(file).orElseThrow(() -> new IllegalStateException(file + " does not hold an API key"));
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the bootstrap key file " + file, e);
    }
  }

  private static Optional<ApiKey> read(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      return Optional.of(ApiKey.parse(text).orElseThrow(
          () -> new IllegalStateException(file + " does not hold an API key (lk_<id>_<secret>)")));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the bootstrap key file " + file, e);
    }
  }

  private static void warnIfUnusable(Optional<KeyRecord> stored, KeyRecord wanted, Path file) {
    if (stored.isEmpty()) {
      return;
    }
    if (!java.security.MessageDigest.isEqual(stored.get().hash(), wanted.hash())) {
      log.warn("The bootstrap key {} of {} is stored with another hash (was the hash key changed?): it will not "
          + "authenticate", wanted.id(), file);
    } else if (stored.get().revokedAt() != null) {
      log.warn("The bootstrap key {} of {} is revoked: it will not authenticate", wanted.id(), file);
    }
  }
}
