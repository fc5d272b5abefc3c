package ledger.cluster;

import akka.actor.Props;
import akka.cluster.Cluster;
import akka.cluster.ClusterEvent;
import akka.cluster.ClusterLogMarker;
import akka.cluster.UniqueAddress;
import akka.cluster.sbr.DowningStrategy;
import akka.cluster.sbr.SplitBrainResolverBase;
import akka.event.Logging;
import akka.remote.artery.ThisActorSystemQuarantinedEvent;
import scala.concurrent.duration.FiniteDuration;

/**
 * The downing actor of {@link ShortTickDowningProvider}: Akka's {@link SplitBrainResolverBase}
 * (members, reachability, stable-after, the strategy's decision, the lease) wired to the cluster
 * as Akka's final SplitBrainResolver wires it, with the tick of
 * {@code ledger.cluster.resolver-tick} instead of 1 s. Its lines are Akka's ("SBR took decision
 * .. and is downing [..]" WARN, "SBR is downing [..]" INFO), logged under this class's name.
 */
public final class ShortTickSplitBrainResolver extends SplitBrainResolverBase {

  static Props props(FiniteDuration stableAfter, DowningStrategy strategy) {
    return Props.create(ShortTickSplitBrainResolver.class, () -> new ShortTickSplitBrainResolver(stableAfter, strategy));
  }

  ShortTickSplitBrainResolver(FiniteDuration stableAfter, DowningStrategy strategy) {
    super(stableAfter, strategy);
    log().info("SBR started. Config: strategy [{}], stable-after [{}], tick [{}], down-all-when-unstable [{}], "
            + "selfUniqueAddress [" + selfUniqueAddress().address() + "#" + selfUniqueAddress().longUid()
            + "], selfDc [" + selfDc() + "].",
        Logging.simpleName(strategy.getClass()), stableAfter.toCoarsest(), tickInterval(),
        downAllWhenUnstable().toNanos() == 0 ? "off" : downAllWhenUnstable().toCoarsest());
  }

  /**
   * The base's constructor starts the tick timer with this, before any field of this class is
   * set: so it is read from the system's config (validated by the provider), not from a field.
   */
  @Override
  public FiniteDuration tickInterval() {
    return ShortTickDowningProvider.tick(context().system().settings().config());
  }

  private Cluster cluster() {
    return Cluster.get(context().system());
  }

  @Override
  public UniqueAddress selfUniqueAddress() {
    return cluster().selfUniqueAddress();
  }

  @Override
  public String selfDc() {
    return cluster().selfDataCenter();
  }

  @Override
  public void preStart() throws Exception {
    cluster().subscribe(self(), ClusterEvent.initialStateAsEvents(), ClusterEvent.ClusterDomainEvent.class);
    context().system().eventStream().subscribe(self(), ThisActorSystemQuarantinedEvent.class);
    super.preStart();
  }

  @Override
  public void postStop() {
    cluster().unsubscribe(self());
    context().system().eventStream().unsubscribe(self(), ThisActorSystemQuarantinedEvent.class);
    super.postStop();
  }

  @Override
  public void down(UniqueAddress node, DowningStrategy.Decision decision) {
    log().info(ClusterLogMarker.sbrDowningNode(node, decision), "SBR is downing [{}]", node);
    cluster().down(node.address());
  }
}
