package ledger.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL side of `--compare-postgres`: runs tools/postgres/run.sh (pgbench with the same
 * accounts, concurrency, durations and hot/random shape against a throw-away local cluster) and
 * reads its RESULT line. The script installs nothing; it says what is missing.
 */
final class PostgresComparison {
  private final Options options;
  private final Path script;

  PostgresComparison(Options options) {
    this.options = options;
    this.script = Path.of(System.getProperty("ledger.tools.postgres-script", "tools/postgres/run.sh"));
  }

  /** Checks PostgreSQL and pgbench are installed before a minute is spent on the ledger run. */
  boolean available() throws IOException, InterruptedException {
    if (!Files.isRegularFile(script)) {
      System.err.println("bench: " + script + " not found (run from the repository root, as ./ledger bench does)");
      return false;
    }
    return execute(List.of("--check"), null) == 0;
  }

  /** Runs the PostgreSQL workload; null when it failed (its output says why). */
  Result run() throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("--accounts", Integer.toString(options.accounts()), "--concurrency",
        Integer.toString(options.concurrency()), "--duration", Long.toString(options.duration().toSeconds()),
        "--warmup", Long.toString(options.warmup().toSeconds())));
    if (options.hot()) {
      args.add("--hot");
    }
    if (options.batch() > 1) {
      args.addAll(List.of("--batch", Integer.toString(options.batch())));
    }
    System.out.println();
    Map<String, String> result = new HashMap<>();
    if (execute(args, result) != 0 || !result.containsKey("tps")) {
      System.err.println("bench: the PostgreSQL run failed (see above)");
      return null;
    }
    return new Result(Double.parseDouble(result.get("tps")), Double.parseDouble(result.get("p50")),
        Double.parseDouble(result.get("p90")), Double.parseDouble(result.get("p99")),
        Double.parseDouble(result.get("p999")), Double.parseDouble(result.get("max")));
  }

  private int execute(List<String> args, Map<String, String> result) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        System.out.println(line);
        if (result != null && line.startsWith("RESULT ")) {
          for (String pair : line.substring(7).trim().split("\\s+")) {
            String[] kv = pair.split("=", 2);
            result.put(kv[0], kv.length > 1 ? kv[1] : "");
          }
        }
      }
    }
    return p.waitFor();
  }
}
