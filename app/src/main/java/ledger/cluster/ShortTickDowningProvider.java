package ledger.cluster;

import akka.actor.ActorSystem;
import akka.actor.Props;
import akka.cluster.Cluster;
import akka.cluster.DowningProvider;
import akka.cluster.sbr.DownAllNodes;
import akka.cluster.sbr.DowningStrategy;
import akka.cluster.sbr.KeepMajority;
import akka.cluster.sbr.KeepOldest;
import akka.cluster.sbr.KeepOldestSettings;
import akka.cluster.sbr.LeaseMajority;
import akka.cluster.sbr.LeaseMajoritySettings;
import akka.cluster.sbr.SplitBrainResolverSettings;
import akka.cluster.sbr.StaticQuorum;
import akka.cluster.sbr.StaticQuorumSettings;
import akka.coordination.lease.scaladsl.Lease;
import akka.coordination.lease.scaladsl.LeaseProvider;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Akka's split brain resolver (akka.cluster.sbr, configured under
 * akka.cluster.split-brain-resolver as for Akka's own provider) deciding on a shorter tick.
 * Akka's resolver checks for a decision once a second, so a downing waits up to another second
 * after stable-after; this one checks every {@code ledger.cluster.resolver-tick}. The strategy,
 * the removal margin and every decision are Akka's: only the tick differs
 * ({@link ShortTickSplitBrainResolver}).
 */
public final class ShortTickDowningProvider extends DowningProvider {
  /** Where the tick is configured. */
  public static final String TICK_PATH = "ledger.cluster.resolver-tick";

  private final ActorSystem system;
  private final SplitBrainResolverSettings settings;

  /** Called reflectively by the cluster extension (akka.cluster.downing-provider-class). */
  public ShortTickDowningProvider(ActorSystem system) {
    this(system, system.settings().config());
  }

  /** With the resolver settings of {@code config} (tests: one system, several strategies). */
  ShortTickDowningProvider(ActorSystem system, Config config) {
    this.system = system;
    this.settings = new SplitBrainResolverSettings(config);
    tick(config);
  }

  /**
   * The configured tick, refused unless positive and at most stable-after (a longer one would
   * be a slower resolver than Akka's own, and decide later than stable-after says).
   */
  public static FiniteDuration tick(Config config) {
    Duration tick = config.getDuration(TICK_PATH);
    FiniteDuration stableAfter = new SplitBrainResolverSettings(config).DowningStableAfter();
    if (tick.isNegative() || tick.isZero()) {
      throw new IllegalArgumentException(TICK_PATH + " must be positive, was " + tick);
    }
    if (tick.toNanos() > stableAfter.toNanos()) {
      throw new IllegalArgumentException(TICK_PATH + " (" + tick + ") must be at most "
          + "akka.cluster.split-brain-resolver.stable-after (" + stableAfter.toCoarsest() + ")");
    }
    return FiniteDuration.create(tick.toNanos(), TimeUnit.NANOSECONDS).toCoarsest();
  }

  /**
   * As Akka's provider: the cluster's down-removal-margin, or stable-after when that is zero
   * (off).
   */
  @Override
  public FiniteDuration downRemovalMargin() {
    return downRemovalMargin(Cluster.get(system).settings().DownRemovalMargin(), settings.DowningStableAfter());
  }

  static FiniteDuration downRemovalMargin(FiniteDuration configured, FiniteDuration stableAfter) {
    return configured.toNanos() == 0 ? stableAfter : configured;
  }

  @Override
  public Option<Props> downingActorProps() {
    return Option.apply(ShortTickSplitBrainResolver.props(settings.DowningStableAfter(), strategy()));
  }

  /** The strategy of akka.cluster.split-brain-resolver.active-strategy, built as Akka's provider builds it. */
  DowningStrategy strategy() {
    Cluster cluster = Cluster.get(system);
    String selfDc = cluster.selfDataCenter();
    String name = settings.DowningStrategy();
    switch (name) {
      case "keep-majority":
        return new KeepMajority(selfDc, settings.keepMajorityRole(), cluster.selfUniqueAddress());
      case "keep-oldest": {
        KeepOldestSettings oldest = settings.keepOldestSettings();
        return new KeepOldest(selfDc, oldest.downIfAlone(), oldest.role(), cluster.selfUniqueAddress());
      }
      case "static-quorum": {
        StaticQuorumSettings quorum = settings.staticQuorumSettings();
        return new StaticQuorum(selfDc, quorum.size(), quorum.role(), cluster.selfUniqueAddress());
      }
      case "down-all":
        return new DownAllNodes(selfDc, cluster.selfUniqueAddress());
      case "lease-majority": {
        LeaseMajoritySettings leaseSettings = settings.leaseMajoritySettings();
        String owner = cluster.selfUniqueAddress().address().hostPort();
        Lease lease = LeaseProvider.get(system).getLease(leaseSettings.safeLeaseName(system.name()),
            leaseSettings.leaseImplementation(), owner);
        return new LeaseMajority(selfDc, leaseSettings.role(), lease, leaseSettings.acquireLeaseDelayForMinority(),
            leaseSettings.releaseAfter(), cluster.selfUniqueAddress());
      }
      default:
        throw new IllegalArgumentException("unknown akka.cluster.split-brain-resolver.active-strategy [" + name
            + "]; one of " + SplitBrainResolverSettings.allStrategyNames().mkString(", "));
    }
  }
}
