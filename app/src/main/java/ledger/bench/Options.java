package ledger.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The command line of `./ledger bench`, checked before anything runs. */
record Options(String url, int accounts, int concurrency, Duration duration, Duration warmup, boolean hot, int batch,
    double rate, String plot, boolean comparePostgres, String cassandra, String keyspace) {

  private static final Set<String> FLAGS = Set.of("hot", "compare-postgres");
  private static final Set<String> VALUES =
      Set.of("url", "accounts", "concurrency", "duration", "warmup", "batch", "rate", "plot", "cassandra", "keyspace");

  static Options parse(String[] args) {
    Map<String, String> given = new TreeMap<>();
    for (int i = 0; i < args.length; i++) {
      String key = args[i].replaceFirst("^--", "");
      if (FLAGS.contains(key)) {
        given.put(key, "true");
      } else if (VALUES.contains(key) && i + 1 < args.length) {
        given.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException("unknown option or missing value: " + args[i]);
      }
    }
    Options o = new Options(given.getOrDefault("url", "http://127.0.0.1:8080"),
        number(given, "accounts", 10_000), number(given, "concurrency", 100),
        Duration.ofSeconds(number(given, "duration", 30)), Duration.ofSeconds(number(given, "warmup", 10)),
        given.containsKey("hot"), number(given, "batch", 1), Double.parseDouble(given.getOrDefault("rate", "0")),
        given.get("plot"), given.containsKey("compare-postgres"), given.getOrDefault("cassandra", "127.0.0.1:9042"),
        given.getOrDefault("keyspace", "ledger"));
    if (o.accounts < 2 || o.concurrency < 1 || o.duration.isZero() || o.warmup.isNegative()) {
      throw new IllegalArgumentException("need --accounts >= 2, --concurrency >= 1, --duration >= 1, --warmup >= 0");
    }
    if (o.batch < 1 || o.batch > 1000 || o.rate < 0) {
      throw new IllegalArgumentException("need 1 <= --batch <= 1000 and --rate >= 0");
    }
    return o;
  }

  private static int number(Map<String, String> given, String key, int otherwise) {
    try {
      return Integer.parseInt(given.getOrDefault(key, Integer.toString(otherwise)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " needs a whole number");
    }
  }

  String describe() {
    String loop = rate > 0 ? String.format("open loop %.0f transfers/s (up to %d in flight)", rate, concurrency)
        : "closed loop, concurrency " + concurrency;
    String shape = (hot ? "one hot account" : "random pairs") + (batch > 1 ? ", batches of " + batch : ", single transfers");
    return String.format("%d accounts, %s, %s, %ds warm-up + %ds", accounts, shape, loop, warmup.toSeconds(),
        duration.toSeconds());
  }
}
