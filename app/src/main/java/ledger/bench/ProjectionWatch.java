package ledger.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
                                  [--interval 5] [--duration 300] [--until-lag SECONDS]""";
  private static final Pattern COUNT = Pattern.compile("ledger_projection_lag_seconds_count\\{tag=\"[^\"]+\",} ([0-9.eE+]+)");
  private static final Pattern LAST = Pattern.compile("ledger_projection_last_lag_seconds\\{tag=\"[^\"]+\",} ([0-9.eE+-]+)");
  private static final Pattern P99 = Pattern.compile(
      "ledger_projection_lag_seconds\\{tag=\"[^\"]+\",quantile=\"0.99\",} ([0-9.eE+-]+)");
  private static final List<String> TABLES =
      List.of("account_entries", "account_transfers", "account_list", "currency_accounts", "pending_legs");

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String url;
  private final CassandraCounters counters;
  private final String keyspace;

  private ProjectionWatch(String url, CassandraCounters counters, String keyspace) {
    this.url = url;
    this.counters = counters;
    this.keyspace = keyspace;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new TreeMap<>(Map.of("url", "http://127.0.0.1:8080", "cassandra", "127.0.0.1:9042",
        "interval", "5", "duration", "300", "until-lag", "0", "keyspace", "ledger"));
    for (int i = 0; i < args.length; i++) {
      String key = args[i].replaceFirst("^--", "");
      if (key.equals("watch")) {
        continue;
      }
      if (!o.containsKey(key) || i + 1 >= args.length) {
        System.err.println(USAGE);
        System.exit(2);
      }
      o.put(key, args[++i]);
    }
    try (CassandraCounters counters = new CassandraCounters(o.get("cassandra"))) {
      new ProjectionWatch(o.get("url"), counters, o.get("keyspace")).run(Integer.parseInt(o.get("interval")),
          Integer.parseInt(o.get("duration")), Double.parseDouble(o.get("until-lag")));
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
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
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
    return table.replace("account_", "").replace("currency_accounts", "totals");
  }
}
