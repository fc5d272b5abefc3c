package ledger.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the machine spent on a bench's measured phase, per posted transfer: CPU time and context
 * switches of the ledger node(s), Cassandra and the load generator (from /proc, every thread),
 * and Cassandra's local reads and writes of the ledger's keyspace (its virtual tables
 * system_views.local_read_latency / local_write_latency; a write is one mutation of one
 * partition). Processes are found by their command line on this machine: `ledger.Main` and
 * `CassandraDaemon`.
 */
final class ResourceUse {
  /** Linux's USER_HZ: /proc times are in these ticks per second. */
  private static final double TICKS = 100.0;

  record Usage(double cpuSeconds, long contextSwitches) {
    Usage minus(Usage o) {
      return new Usage(cpuSeconds - o.cpuSeconds, contextSwitches - o.contextSwitches);
    }
  }

  record Sample(long nanos, Usage node, Usage cassandra, Usage generator, long reads, long writes, String error) {}

  private final String cassandra;
  private final String keyspace;

  ResourceUse(String cassandra, String keyspace) {
    this.cassandra = cassandra;
    this.keyspace = keyspace;
  }

  Sample sample() {
    long[] ops = {-1, -1};
    String error = null;
    try {
      ops = cassandraOps();
    } catch (RuntimeException e) {
      error = e.getMessage();
    }
    return new Sample(System.nanoTime(), usage(pids("ledger.Main")), usage(pids("CassandraDaemon")),
        usage(List.of(ProcessHandle.current().pid())), ops[0], ops[1], error);
  }

  /** Prints the figures between two samples, per posted transfer. */
  static void print(Sample before, Sample after, long posted) {
    if (posted <= 0) {
      return;
    }
    double seconds = (after.nanos() - before.nanos()) / 1e9;
    Usage node = after.node().minus(before.node());
    Usage db = after.cassandra().minus(before.cassandra());
    Usage gen = after.generator().minus(before.generator());
    double all = node.cpuSeconds() + db.cpuSeconds() + gen.cpuSeconds();
    System.out.printf("per posted transfer: CPU ms node %.2f, Cassandra %.2f, load generator %.2f; "
            + "context switches node %.1f, Cassandra %.1f, load generator %.1f%n",
        1e3 * node.cpuSeconds() / posted, 1e3 * db.cpuSeconds() / posted, 1e3 * gen.cpuSeconds() / posted,
        (double) node.contextSwitches() / posted, (double) db.contextSwitches() / posted,
        (double) gen.contextSwitches() / posted);
    System.out.printf("CPU busy: %.0f %% of 2 cores (node %.0f %%, Cassandra %.0f %%, load generator %.0f %% = %.0f %% "
            + "of the three)%n", 100 * all / (2 * seconds), 100 * node.cpuSeconds() / (2 * seconds),
        100 * db.cpuSeconds() / (2 * seconds), 100 * gen.cpuSeconds() / (2 * seconds),
        all == 0 ? 0 : 100 * gen.cpuSeconds() / all);
    if (after.error() != null || before.reads() < 0) {
      System.out.println("Cassandra reads/writes per transfer: unavailable (" + after.error() + ")");
    } else {
      System.out.printf("Cassandra per posted transfer: %.2f reads, %.2f writes (every table of the keyspace)%n",
          (double) (after.reads() - before.reads()) / posted, (double) (after.writes() - before.writes()) / posted);
    }
  }

  private long[] cassandraOps() {
    try (CassandraCounters counters = new CassandraCounters(cassandra)) {
      return new long[] {sum(counters.reads(keyspace)), sum(counters.writes(keyspace))};
    }
  }

  private static long sum(java.util.Map<String, Long> byTable) {
    return byTable.values().stream().mapToLong(Long::longValue).sum();
  }

  private static List<Long> pids(String commandPart) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).forEach(p -> {
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
          if (cmd.contains(commandPart) && (cmd.startsWith("java ") || cmd.contains("/java "))) {
            pids.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | RuntimeException gone) {
          // the process ended meanwhile
        }
      });
    } catch (IOException e) {
      return pids;
    }
    return pids;
  }

  /** CPU seconds (user + system) and context switches of every thread of these processes. */
  private static Usage usage(List<Long> pids) {
    double cpu = 0;
    long switches = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        cpu += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS; // utime, stime (fields 14, 15)
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
          for (Path t : tasks.toList()) {
            for (String line : Files.readAllLines(t.resolve("status"))) {
              if (line.startsWith("voluntary_ctxt_switches") || line.startsWith("nonvoluntary_ctxt_switches")) {
                switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
              }
            }
          }
        }
      } catch (IOException | RuntimeException gone) {
        // the process or a thread ended meanwhile
      }
    }
    return new Usage(cpu, switches);
  }
}
