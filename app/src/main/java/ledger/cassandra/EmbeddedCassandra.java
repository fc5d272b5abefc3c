package ledger.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Cassandra 5 for development and tests, run as a separate JVM with its own classpath
 * (cassandra-dist/target/lib), never the application's: its Jackson, Guava and Netty would
 * break Akka. If a Cassandra already answers on the address, it is reused and left running.
 */
public final class EmbeddedCassandra implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedCassandra.class);

  /**
   * Where and how to run it; {@code dir} holds the yaml, the data and cassandra.log.
   * {@code authenticator}: AllowAllAuthenticator (dev, tests) or PasswordAuthenticator (logins,
   * with Cassandra's default superuser cassandra/cassandra).
   */
  public record Settings(Path libDir, Path dir, String host, int nativePort, int storagePort, String heap,
                         String authenticator) {
    public Settings(Path libDir, Path dir, String host, int nativePort, int storagePort, String heap) {
      this(libDir, dir, host, nativePort, storagePort, heap, "AllowAllAuthenticator");
    }
  }

  private final Settings settings;
  private final Process process; // null when an already running Cassandra was reused

  private EmbeddedCassandra(Settings settings, Process process) {
    this.settings = settings;
    this.process = process;
  }

  public static EmbeddedCassandra startOrReuse(Settings settings, Duration readyTimeout) {
    if (answers(settings.host(), settings.nativePort())) {
      log.info("Reusing the Cassandra that answers on {}:{}", settings.host(), settings.nativePort());
      return new EmbeddedCassandra(settings, null);
    }
    try {
      Files.createDirectories(settings.dir());
      Path yaml = writeYaml(settings);
      Path logback = writeLogback(settings.dir());
      Path logFile = settings.dir().resolve("cassandra.log");
      ProcessBuilder pb = new ProcessBuilder(command(settings, yaml, logback))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      log.info("Starting Cassandra on {}:{}, data in {}", settings.host(), settings.nativePort(), settings.dir());
      EmbeddedCassandra cassandra = new EmbeddedCassandra(settings, pb.start());
      cassandra.awaitReady(readyTimeout, logFile);
      return cassandra;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start Cassandra", e);
    }
  }

  public Settings settings() {
    return settings;
  }

  public boolean startedHere() {
    return process != null;
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(settings.host(), settings.nativePort());
  }

  /** Stops Cassandra if this object started it: SIGTERM, then SIGKILL after 60 s. */
  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    log.info("Stopping Cassandra (pid {})", process.pid());
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        log.warn("Cassandra did not stop within 60 s; killing it");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void awaitReady(Duration timeout, Path logFile) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Cassandra exited with " + process.exitValue() + "; see " + logFile);
      }
      if (answers(settings.host(), settings.nativePort())) {
        log.info("Cassandra answers CQL on {}:{}", settings.host(), settings.nativePort());
        return;
      }
      sleep(250);
    }
    close();
    throw new IllegalStateException("Cassandra did not answer within " + timeout + "; see " + logFile);
  }

  /** Whether something accepts TCP connections there (Cassandra opens CQL only when ready). */
  public static boolean answers(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  private static List<String> command(Settings s, Path yaml, Path logback) {
    List<String> cmd = new ArrayList<>();
    // setsid: its own session, so a Ctrl-C in the terminal reaches only the ledger, which then
    // stops Cassandra last, after the shards have handed off.
    cmd.add("setsid");
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xms" + s.heap(), "-Xmx" + s.heap(), "-Xss512k", "-XX:+UseG1GC",
        "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=" + s.dir(),
        "-Dcassandra.config=" + yaml.toUri(),
        "-Dcassandra-foreground=yes",
        "-Dcassandra.storagedir=" + s.dir(),
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.ring_delay_ms=1000",
        "-Dcassandra.superuser_setup_delay_ms=0",
        "-Dlogback.configurationFile=" + logback.toUri(),
        "-Djdk.attach.allowAttachSelf=true",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dio.netty.allocator.useCacheForAllThreads=true",
        "-Dio.netty.allocator.maxOrder=11"));
    for (String export : List.of("java.base/jdk.internal.misc", "java.management.rmi/com.sun.jmx.remote.internal.rmi",
        "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql", "java.base/java.lang.ref",
        "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file", "jdk.attach/sun.tools.attach")) {
      cmd.add("--add-exports=" + export + "=ALL-UNNAMED");
    }
    for (String open : List.of("java.base/java.lang.module", "java.base/jdk.internal.loader",
        "java.base/jdk.internal.ref", "java.base/jdk.internal.reflect", "java.base/jdk.internal.math",
        "java.base/jdk.internal.module", "java.base/jdk.internal.util.jar", "java.base/sun.nio.ch",
        "java.base/java.io", "java.base/java.lang.reflect", "java.base/java.lang", "java.base/java.util",
        "java.base/java.nio", "jdk.management/com.sun.management.internal", "jdk.compiler/com.sun.tools.javac")) {
      cmd.add("--add-opens=" + open + "=ALL-UNNAMED");
    }
    cmd.add("-cp");
    cmd.add(s.libDir().toAbsolutePath() + "/*");
    cmd.add("org.apache.cassandra.service.CassandraDaemon");
    return cmd;
  }

  private static Path writeYaml(Settings s) throws IOException {
    Path dir = s.dir().toAbsolutePath();
    String yaml = String.join("\n",
        "cluster_name: ledger-embedded",
        "num_tokens: 16",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        // A crash of the Cassandra process alone loses nothing (the OS has the pages); only a
        // crash of the whole machine within the period could. Production runs RF 3 at QUORUM.
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "data_file_directories:",
        "  - " + dir.resolve("data"),
        "commitlog_directory: " + dir.resolve("commitlog"),
        "saved_caches_directory: " + dir.resolve("saved_caches"),
        "hints_directory: " + dir.resolve("hints"),
        "cdc_raw_directory: " + dir.resolve("cdc_raw"),
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        "      - seeds: \"" + s.host() + ":" + s.storagePort() + "\"",
        "listen_address: " + s.host(),
        "rpc_address: " + s.host(),
        "storage_port: " + s.storagePort(),
        "native_transport_port: " + s.nativePort(),
        "endpoint_snitch: SimpleSnitch",
        "authenticator: " + s.authenticator(),
        "authorizer: AllowAllAuthorizer",
        // The projection writes an account's rows in one unlogged batch of up to 32 events
        // (AccountRows), a few partitions of that account: no warning per batch below 50 KiB.
        "batch_size_warn_threshold: 50KiB",
        // The journal sends up to 64 coordinators' writes (one partition each) in one unlogged batch.
        "unlogged_batch_across_partitions_warn_threshold: 130",
        // Sized for a 2-core development box instead of for 32 disks: fewer threads waking
        // each other for every request (measured in BENCHMARKS.md, "Write path").
        "concurrent_reads: 4",
        "concurrent_writes: 4",
        "concurrent_counter_writes: 2",
        "native_transport_max_threads: 8",
        "memtable_flush_writers: 1",
        "concurrent_compactors: 1",
        "");
    Path file = s.dir().resolve("cassandra.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static Path writeLogback(Path dir) throws IOException {
    Path file = dir.resolve("logback.xml");
    Files.writeString(file, """
        <configuration>
          <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%date{ISO8601} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <root level="INFO"><appender-ref ref="STDOUT"/></root>
        </configuration>
        """);
    return file;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Cassandra", e);
    }
  }
}
