package ledger.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import ledger.cassandra.EmbeddedCassandra;

/**
 * One real Cassandra for the whole test JVM, started on first use on free ports with a fresh
 * data folder under target/, stopped and deleted when the JVM exits.
 */
public final class TestCassandra {
  private static EmbeddedCassandra instance;
  private static Path dir;

  private TestCassandra() {}

  public static synchronized EmbeddedCassandra get() {
    if (instance == null) {
      String lib = System.getProperty("ledger.cassandra.lib-dir", "../cassandra-dist/target/lib");
      Path root = Path.of(System.getProperty("ledger.test.data-dir", "target/test-data"));
      dir = root.resolve("cassandra-" + ProcessHandle.current().pid()).toAbsolutePath();
      deleteRecursively(dir);
      instance = EmbeddedCassandra.startOrReuse(new EmbeddedCassandra.Settings(Path.of(lib), dir, "127.0.0.1",
          TestNodes.freePort(), TestNodes.freePort(), "512M"), Duration.ofMinutes(3));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        instance.close();
        deleteRecursively(dir);
      }, "stop-test-cassandra"));
    }
    return instance;
  }

  /** Stops the test Cassandra (SIGTERM), keeping its data, ports and folder for {@link #restart()}. */
  public static synchronized void stop() {
    get().close();
  }

  /** Starts the stopped test Cassandra again on the same ports and data. */
  public static synchronized void restart() {
    instance = EmbeddedCassandra.startOrReuse(get().settings(), Duration.ofMinutes(3));
  }

  /** The contact point of the test Cassandra, as {@code ledger.cassandra.contact-points} wants it. */
  public static String contactPoint() {
    EmbeddedCassandra c = get();
    return c.address().getHostString() + ":" + c.address().getPort();
  }

  static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
