package ledger.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A node of the loopback cluster of {@code ./ledger cluster}: the development settings
 * (dev.conf) with Cluster Bootstrap's config discovery listing every node's management
 * endpoint, so the cluster forms through the same code path as with Kubernetes API discovery.
 */
public final class LocalCluster {
  private LocalCluster() {}

  /**
   * @param contactPoints the management endpoints of all nodes, {@code host:port,host:port};
   *     a new cluster forms only once all of them answer (required-contact-point-nr), a node
   *     started later joins the running cluster it finds through any of them
   */
  public static Config nodeConfig(String contactPoints) {
    if (contactPoints == null || contactPoints.isBlank()) {
      throw new IllegalArgumentException("LEDGER_CONTACT_POINTS must list the nodes' management endpoints (host:port,...)");
    }
    List<String> endpoints = new ArrayList<>();
    for (String hostPort : contactPoints.split(",")) {
      String[] parts = hostPort.trim().split(":");
      if (parts.length != 2) {
        throw new IllegalArgumentException("not host:port in LEDGER_CONTACT_POINTS: " + hostPort);
      }
      endpoints.add("{host = \"" + parts[0] + "\", port = " + Integer.parseInt(parts[1]) + "}");
    }
    String discovery = "akka.discovery.config.services.ledger.endpoints = [" + String.join(", ", endpoints) + "]\n"
        + "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = " + endpoints.size();
    return ConfigFactory.parseString(discovery).withFallback(ConfigFactory.load("dev"));
  }
}
