package ledger.cluster;

import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import akka.management.javadsl.AkkaManagement;

/**
 * Starts Akka Management (/ready, /alive, /cluster/members) and joins the cluster: through
 * Cluster Bootstrap (Kubernetes API discovery in production, config discovery locally: one
 * code path), or, for single-node tests only, by joining itself.
 */
public final class ClusterFormation {
  private ClusterFormation() {}

  public static void start(ActorSystem<?> system) {
    AkkaManagement.get(system).start();
    String join = system.settings().config().getString("ledger.cluster.join");
    switch (join) {
      case "bootstrap" -> ClusterBootstrap.get(system).start();
      case "self" -> {
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      default -> throw new IllegalArgumentException("ledger.cluster.join must be bootstrap or self, got " + join);
    }
  }
}
