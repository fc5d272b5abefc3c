package ledger.fencing;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.Cluster;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.UniqueAddress;
import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The node's {@link NodeLease}, one per ActorSystem: taken when the node is Up, renewed and
 * checked on the scheduler every renew-interval, ended when the node is downed, released after
 * a graceful exit. The journal, the snapshot store and the shard and singleton leases
 * ({@link FencingLease}) all ask this one.
 */
public final class Fencing implements Extension {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Fencing.class);
  private final NodeLease lease;

  private Fencing(ActorSystem<?> system) {
    com.typesafe.config.Config config = system.settings().config();
    NodeLease.Settings settings = NodeLease.Settings.fromConfig(config);
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    CassandraLeaseTable table = new CassandraLeaseTable(
        () -> CassandraSessionRegistry.get(system).sessionFor("akka.persistence.cassandra").underlying(),
        config.getString("ledger.cassandra.keyspace"), config.getDuration("ledger.fencing.statement-timeout"),
        config.getDuration("ledger.fencing.row-ttl"));
    this.lease = new NodeLease(id(cluster.selfUniqueAddress()), settings, table, System::nanoTime,
        () -> live(cluster), () -> cluster.down(cluster.selfAddress()));
    if (!settings.enabled()) {
      return;
    }
    cluster.registerOnMemberUp(lease::take);
    Duration every = settings.renewInterval();
    system.scheduler().scheduleWithFixedDelay(every, every, () -> {
      // A throw would end the schedule, and with it every renewal: log it and beat on.
      try {
        if (cluster.selfMember().status() == MemberStatus.down()) {
          lease.downed();
        }
        lease.tick();
      } catch (RuntimeException e) {
        log.warn("node lease beat failed: {}", e.toString());
      }
    }, system.executionContext());
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    // Downed (a node cut off downs itself): no write from the first phase on, and no more
    // renewals, so the majority's fence need not wait for the rest of the shutdown. The
    // member's status in the cluster's read view can show Down only seconds later, or never.
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "fence-when-downed", () -> {
      if (downed(shutdown)) {
        lease.downed();
      }
      return CompletableFuture.completedFuture(akka.Done.getInstance());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "release-node-lease", () -> {
      // Downed: entities may not have stopped cleanly, so the lease lapses instead.
      if (downed(shutdown)) {
        lease.downed();
        return CompletableFuture.completedFuture(akka.Done.getInstance());
      }
      return lease.release().handle((released, failure) -> akka.Done.getInstance());
    });
  }

  private static boolean downed(CoordinatedShutdown shutdown) {
    return shutdown.getShutdownReason().map(r -> r.equals(CoordinatedShutdown.clusterDowningReason())).orElse(false);
  }

  public static Fencing get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public NodeLease lease() {
    return lease;
  }

  /** A node incarnation's id in node_leases: its address and the uid of this incarnation. */
  static String id(UniqueAddress node) {
    return node.address() + "#" + node.longUid();
  }

  /**
   * Members neither Down, removed nor unreachable in this node's view. Unreachable ones count as
   * not live too: a node is unreachable here at least stable-after before it is downed and its
   * shards move, so a view that is a little behind the gossip still waits for it.
   */
  private static Set<String> live(Cluster cluster) {
    akka.cluster.ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    Set<String> live = new HashSet<>();
    for (Member m : state.getMembers()) {
      if (m.status() != MemberStatus.down() && m.status() != MemberStatus.removed() && !unreachable.contains(m)) {
        live.add(id(m.uniqueAddress()));
      }
    }
    return live;
  }

  private static final class Id extends ExtensionId<Fencing> {
    static final Id INSTANCE = new Id();

    @Override
    public Fencing createExtension(ActorSystem<?> system) {
      return new Fencing(system);
    }
  }
}
