package ledger.http;

import com.typesafe.config.Config;
import java.time.Duration;
import ledger.core.Limits;

/** {@code ledger.http} and {@code ledger.limits}, read once. */
public record HttpSettings(String iface, int port, Duration askTimeout, Duration bodyTimeout,
                           Duration shutdownDeadline, int transfersInFlightMax, Limits limits) {
  public static HttpSettings fromConfig(Config root) {
    Config c = root.getConfig("ledger.http");
    return new HttpSettings(c.getString("interface"), c.getInt("port"), c.getDuration("ask-timeout"),
        c.getDuration("body-timeout"), c.getDuration("shutdown-deadline"), c.getInt("transfers-in-flight-max"), Limits.fromConfig(root));
  }
}
