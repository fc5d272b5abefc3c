package ledger.tools;

import org.HdrHistogram.Histogram;

/** Throughput (transfers/s) and request latency percentiles (ms) of one run. */
record Result(double tps, double p50, double p90, double p99, double p999, double max) {

  static Result of(double tps, Histogram micros) {
    return new Result(tps, micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(90) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0, micros.getValueAtPercentile(99.9) / 1000.0,
        micros.getMaxValue() / 1000.0);
  }

  String latencies() {
    return String.format("p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f", p50, p90, p99, p999, max);
  }

  static void printComparison(Result ledger, Result postgres, Options options) {
    System.out.printf("%n%-10s %10s %9s %9s %9s %9s %9s%n", "same run", "tps", "p50 ms", "p90 ms", "p99 ms",
        "p99.9 ms", "max ms");
    for (var row : new Object[][] {{"ledger", ledger}, {"postgres", postgres}}) {
      Result r = (Result) row[1];
      System.out.printf("%-10s %10.0f %9.2f %9.2f %9.2f %9.2f %9.2f%n", row[0], r.tps, r.p50, r.p90, r.p99, r.p999,
          r.max);
    }
    System.out.printf("ratio ledger/postgres: throughput %.3f, p50 latency %.2f, p99 latency %.2f%n",
        ledger.tps / postgres.tps, ledger.p50 / postgres.p50, ledger.p99 / postgres.p99);
    if (options.batch() > 1) {
      System.out.println("(postgres ran one transfer per transaction; the ledger ran batches of " + options.batch()
          + ", its latency is per batch request)");
    }
  }
}
