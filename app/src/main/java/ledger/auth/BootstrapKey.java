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

  /**
   * Registers the key of {@code file} (made first if missing), trying again until
   * {@code deadline}: nodes starting together on a busy machine contend on the same
   * lightweight transaction, and one slow attempt must not stop a node from starting. A key
   * already stored is only read, so a restart costs no write.
   */
  public static ApiKey ensure(Path file, KeyHasher hasher, KeyStore store, Clock clock, Duration timeout,
                              Duration deadline) {
    ApiKey key = readOrCreate(file);
    KeyRecord record = new KeyRecord(key.id(), hasher.hash(key.secret()), "bootstrap", EnumSet.allOf(Scope.class),
        List.of(), clock.instant(), null, null);
    long end = System.nanoTime() + deadline.toNanos();
    long pause = 250;
    while (true) {
      try {
        register(record, store, timeout, file);
        return key;
      } catch (Exception e) {
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) > end) {
          throw new IllegalStateException("could not register the bootstrap key of " + file + " within " + deadline
              + ": " + e, e);
        }
        log.warn("Registering the bootstrap key of {} failed ({}); trying again in {} ms", file, e.toString(), pause);
        sleep(pause);
        pause = Math.min(pause * 2, 4000);
      }
    }
  }

  private static void register(KeyRecord record, KeyStore store, Duration timeout, Path file) throws Exception {
    Optional<KeyRecord> stored = store.find(record.id()).toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (stored.isEmpty()
        && store.insertIfAbsent(record).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return;
    }
    Optional<KeyRecord> now = stored.isPresent() ? stored
        : store.find(record.id()).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    warnIfUnusable(now, record, file);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
