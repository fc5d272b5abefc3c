package ledger.recon;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code ledger.recon}, read once. */
public record ReconSettings(boolean enabled, Duration interval, int sampleSize, int transfersPerAccount,
                            int statementVersions, Duration settleTime, int s1Attempts, int s1Confirmations,
                            Duration pendingLookback, int pendingCarriedMax, Duration askTimeout, int parallelism,
                            Duration runTimeout, int reportDivergencesMax, Duration pendingFloorMargin,
                            Duration pendingCompleteInterval) {

  public static ReconSettings fromConfig(Config root) {
    Config c = root.getConfig("ledger.recon");
    return new ReconSettings(c.getBoolean("enabled"), c.getDuration("interval"), c.getInt("sample-size"),
        c.getInt("transfers-per-account"), c.getInt("statement-versions"), c.getDuration("settle-time"),
        c.getInt("s1-attempts"), c.getInt("s1-confirmations"), c.getDuration("pending-lookback"),
        c.getInt("pending-carried-max"), c.getDuration("ask-timeout"), c.getInt("parallelism"),
        c.getDuration("run-timeout"), c.getInt("report-divergences-max"), c.getDuration("pending-floor-margin"),
        c.getDuration("pending-complete-interval"));
  }
}
