package ledger.tools;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `./ledger lag --watch`: the query side's throughput and lag over time, read from a running
 * node's /metrics and Cassandra's per-table write counters (system_views.local_write_latency).
 * Every interval it prints the events projected per second (all tags), the worst lag of the
 * latest event projected on any tag, and the rows written per second per query table. Run it
 * beside `./ledger bench --rate R --duration S` to see whether the projections keep up; run it
 * after a backlog (built with LEDGER_PROJECTION_ENABLED=false) with `--until-lag 2` to measure
 * the catch-up rate: it stops once every tag's latest lag is under that many seconds.
 */
public final class ProjectionWatch {
  static final String USAGE = """
      usage: ./ledger lag --watch [--url http://127.0.0.1:8080] [--cassandra 127.0.0.1:9042]
                                  [--interval 5] [--duration 300] [--until-lag SECONDS]
                                  [--keyspace ledger] [--key API_KEY]""";
  private static final Pattern COUNT = Pattern.compile("ledger_projection_lag_seconds_count\\{tag=\"[^\"]+\",} ([0-9.eE+]+)");
  private static final Pattern LAST = Pattern.compile("ledger_projection_last_lag_seconds\\{tag=\"[^\"]+\",} ([0-9.eE+-]+)");
  private static final Pattern P99 = Pattern.compile(
      "ledger_projection_lag_seconds\\{tag=\"[^\"]+\",quantile=\"0.99\",} ([0-9.eE+-]+)");
  private static final List<String> TABLES =
      List.of("account_entries", "account_transfers", "account_list", "pending_legs");

  private final LedgerClient client;
  private final String url;
  private final CassandraCounters counters;
  private final String keyspace;

  private ProjectionWatch(LedgerClient client, String url, CassandraCounters counters, String keyspace) {
    this.client = client;
    this.url = url;
    this.counters = counters;
    this.keyspace = keyspace;
  }

  public static void main(String[] args) throws Exception {
    CommandLine o;
    try {
      o = CommandLine.parse(args, Set.of("url", "cassandra", "keyspace", "interval", "duration", "until-lag"),
          Set.of("watch"));
      if (o.flag("help")) {
        System.out.println(USAGE);
        return;
      }
      if (o.whole("interval", 5) < 1 || o.whole("duration", 300) < 1 || o.number("until-lag", 0) < 0) {
        throw new IllegalArgumentException("need --interval >= 1, --duration >= 1, --until-lag >= 0");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("lag --watch: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    try (CassandraCounters counters = new CassandraCounters(o.text("cassandra", "127.0.0.1:9042"))) {
      new ProjectionWatch(new LedgerClient(LedgerClient.key(o)), o.text("url", "http://127.0.0.1:8080"), counters,
          o.text("keyspace", "ledger")).run(o.whole("interval", 5), o.whole("duration", 300), o.number("until-lag", 0));
    }
  }

  private record Sample(long nanos, double projected, double lastLagMax, double p99Max, Map<String, Long> writes) {}

  private void run(int intervalSeconds, int durationSeconds, double untilLag) throws Exception {
    System.out.printf("%8s %12s %10s %10s", "t (s)", "events/s", "last lag", "p99 lag");
    TABLES.forEach(t -> System.out.printf(" %12s", shortName(t) + "/s"));
    System.out.println();
    Sample first = sample();
    Sample previous = first;
    Sample activeFrom = null;
    Sample activeTo = null;
    long end = first.nanos() + Duration.ofSeconds(durationSeconds).toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(intervalSeconds * 1000L);
      Sample now = sample();
      Sample prev = previous;
      double seconds = (now.nanos() - previous.nanos()) / 1e9;
      double projected = now.projected() - previous.projected();
      System.out.printf("%8.0f %12.0f %9.2fs %9.2fs", (now.nanos() - first.nanos()) / 1e9, projected / seconds,
          now.lastLagMax(), now.p99Max());
      for (String t : TABLES) {
        System.out.printf(" %12.0f", (now.writes().get(t) - previous.writes().get(t)) / seconds);
      }
      System.out.println();
      // A group is counted when it is done, which can take longer than an interval: rows written
      // count as work too.
      boolean working = projected > 0 || TABLES.stream().anyMatch(t -> now.writes().get(t) > prev.writes().get(t));
      boolean idleAfterWork = !working && activeTo != null;
      if (working) {
        activeFrom = activeFrom == null ? previous : activeFrom;
        activeTo = now;
      }
      previous = now;
      // Caught up: the latest event is fresh, or nothing was left to project (its lag then stays
      // at the last event's, however old).
      boolean fresh = now.projected() > first.projected() && now.lastLagMax() < untilLag;
      if (untilLag > 0 && activeTo != null && (fresh || idleAfterWork)) {
        break;
      }
    }
    if (activeTo == null) {
      System.out.println("nothing was projected");
      return;
    }
    double seconds = (activeTo.nanos() - activeFrom.nanos()) / 1e9;
    double events = activeTo.projected() - activeFrom.projected();
    System.out.printf("%.0f events projected in %.0f s of work: %.0f events/s; latest lag at the end %.2f s%n",
        events, seconds, events / seconds, activeTo.lastLagMax());
  }

  private Sample sample() throws Exception {
    HttpResponse<String> r = client.send(url, "/metrics", null, Duration.ofSeconds(10));
    String text = r.body();
    Map<String, Long> all = counters.writes(keyspace);
    Map<String, Long> writes = new TreeMap<>();
    TABLES.forEach(t -> writes.put(t, all.getOrDefault(t, 0L)));
    return new Sample(System.nanoTime(), sum(COUNT, text), max(LAST, text), max(P99, text), writes);
  }

  private static double sum(Pattern p, String text) {
    double total = 0;
    for (Matcher m = p.matcher(text); m.find(); ) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  private static double max(Pattern p, String text) {
    double max = 0;
    for (Matcher m = p.matcher(text); m.find(); ) {
      double v = Double.parseDouble(m.group(1));
      max = Double.isNaN(v) ? max : Math.max(max, v);
    }
    return max;
  }

  private static String shortName(String table) {
    return table.replace("account_", "");
  }
}
