package ledger.http;

import com.typesafe.config.Config;
import java.time.Duration;
import ledger.core.Limits;

/**
 * {@code ledger.http} and {@code ledger.limits}, read once; {@code tls} is null for plain HTTP.
 * Reading them opens the TLS keystore, so a bad one fails here, before the node starts.
 */
public record HttpSettings(String iface, int port, Duration askTimeout, Duration bodyTimeout,
                           Duration shutdownDeadline, int transfersInFlightMax, Limits limits, ServerTls tls) {
  public static HttpSettings fromConfig(Config root) {
    Config c = root.getConfig("ledger.http");
    return new HttpSettings(c.getString("interface"), c.getInt("port"), c.getDuration("ask-timeout"),
        c.getDuration("body-timeout"), c.getDuration("shutdown-deadline"), c.getInt("transfers-in-flight-max"),
        Limits.fromConfig(root), ServerTls.fromConfig(c.getConfig("tls")));
  }
}
