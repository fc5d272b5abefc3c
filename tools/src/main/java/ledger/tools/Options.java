package ledger.tools;

import java.time.Duration;
import java.util.Set;

/** The command line of `./ledger bench`, checked before anything runs. */
record Options(String url, int accounts, int concurrency, Duration duration, Duration warmup, boolean hot, int batch,
    double rate, String plot, boolean comparePostgres, String cassandra, String keyspace) {

  private static final Set<String> FLAGS = Set.of("hot", "compare-postgres");
  private static final Set<String> VALUES =
      Set.of("url", "accounts", "concurrency", "duration", "warmup", "batch", "rate", "plot", "cassandra", "keyspace");

  static CommandLine commandLine(String[] args) {
    return CommandLine.parse(args, VALUES, FLAGS);
  }

  static Options of(CommandLine given) {
    Options o = new Options(given.text("url", "http://127.0.0.1:8080"), given.whole("accounts", 10_000),
        given.whole("concurrency", 100), given.duration("duration", "30"), given.duration("warmup", "10"),
        given.flag("hot"), given.whole("batch", 1), given.number("rate", 0), given.text("plot", null),
        given.flag("compare-postgres"), given.text("cassandra", "127.0.0.1:9042"), given.text("keyspace", "ledger"));
    if (o.accounts < 2 || o.concurrency < 1 || o.concurrency > 10_000 || o.duration.isZero()) {
      throw new IllegalArgumentException("need --accounts >= 2, 1 <= --concurrency <= 10000, --duration >= 1");
    }
    if (o.batch < 1 || o.batch > 1000 || o.rate < 0) {
      throw new IllegalArgumentException("need 1 <= --batch <= 1000 and --rate >= 0");
    }
    return o;
  }

  String describe() {
    String loop = rate > 0 ? String.format("open loop %.0f transfers/s (up to %d in flight)", rate, concurrency)
        : "closed loop, concurrency " + concurrency;
    String shape = (hot ? "one hot account" : "random pairs") + (batch > 1 ? ", batches of " + batch : ", single transfers");
    return String.format("%d accounts, %s, %s, %ds warm-up + %ds", accounts, shape, loop, warmup.toSeconds(),
        duration.toSeconds());
  }
}
