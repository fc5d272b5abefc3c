package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import akka.actor.ExtendedActorSystem;
import akka.actor.Props;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.sbr.DownAllNodes;
import akka.cluster.sbr.DowningStrategy;
import akka.cluster.sbr.KeepMajority;
import akka.cluster.sbr.KeepOldest;
import akka.cluster.sbr.LeaseMajority;
import akka.cluster.sbr.SplitBrainResolverProvider;
import akka.cluster.sbr.StaticQuorum;
import akka.coordination.lease.LeaseSettings;
import akka.coordination.lease.javadsl.Lease;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import scala.concurrent.duration.FiniteDuration;

/**
 * {@link ShortTickDowningProvider} builds what Akka's SplitBrainResolverProvider builds (the
 * strategy of each active-strategy, the removal margin, the props' dispatcher), with its tick
 * from config and refused when it makes no sense.
 */
public class ShortTickDowningProviderTest {
  private static ActorTestKit testKit;
  private static akka.actor.ActorSystem system;

  @BeforeClass
  public static void start() {
    Config config = ConfigFactory.parseString(
            "akka.remote.artery.canonical.port = 0\n"
            + "akka.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
            + "akka.loglevel = WARNING\n"
            + "akka.cluster.split-brain-resolver.static-quorum.quorum-size = 2\n"
            + "akka.cluster.split-brain-resolver.lease-majority.lease-implementation = ledger-test-sbr-lease\n"
            + "ledger-test-sbr-lease.lease-class = \"" + NoLease.class.getName() + "\"\n")
        .withFallback(ConfigFactory.load());
    testKit = ActorTestKit.create("ShortTickDowningProviderTest", config);
    system = Adapter.toClassic(testKit.system());
  }

  @AfterClass
  public static void stop() {
    testKit.shutdownTestKit();
  }

  private static Config with(Map<String, Object> settings) {
    return ConfigFactory.parseMap(settings).withFallback(system.settings().config());
  }

  private static DowningStrategy strategy(String name) {
    return new ShortTickDowningProvider(system,
        with(Map.of("akka.cluster.split-brain-resolver.active-strategy", name))).strategy();
  }

  @Test
  public void eachActiveStrategyIsAkkasStrategy() {
    assertSame(KeepMajority.class, strategy("keep-majority").getClass());
    assertSame(KeepOldest.class, strategy("keep-oldest").getClass());
    assertSame(StaticQuorum.class, strategy("static-quorum").getClass());
    assertSame(DownAllNodes.class, strategy("down-all").getClass());
    DowningStrategy leased = strategy("lease-majority");
    assertSame(LeaseMajority.class, leased.getClass());
    assertTrue("lease-majority holds the lease of its lease-implementation", leased.lease().isDefined());
    assertEquals(2, ((StaticQuorum) strategy("static-quorum")).quorumSize());
    try {
      strategy("keep-everything");
      fail("an unknown strategy must be refused");
    } catch (akka.ConfigurationException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains("keep-everything"));
    }
  }

  @Test
  public void theProductionConfigUsesItWithAkkasKeepMajority() {
    Config production = ConfigFactory.load();
    assertEquals(ShortTickDowningProvider.class.getName(),
        production.getString("akka.cluster.downing-provider-class"));
    assertEquals(FiniteDuration.create(100, TimeUnit.MILLISECONDS), ShortTickDowningProvider.tick(production));
    assertSame(KeepMajority.class, new ShortTickDowningProvider(system, production).strategy().getClass());
  }

  @Test
  public void theTickComesFromConfig() {
    assertEquals(FiniteDuration.create(50, TimeUnit.MILLISECONDS),
        ShortTickDowningProvider.tick(with(Map.of(ShortTickDowningProvider.TICK_PATH, "50ms"))));
    assertEquals("as long as stable-after is allowed", FiniteDuration.create(1, TimeUnit.SECONDS),
        ShortTickDowningProvider.tick(with(Map.of(ShortTickDowningProvider.TICK_PATH, "1s",
            "akka.cluster.split-brain-resolver.stable-after", "1s"))));
  }

  @Test
  public void aTickThatIsNotPositiveOrLongerThanStableAfterIsRefused() {
    for (String tick : new String[] {"0ms", "-100ms"}) {
      refused(with(Map.of(ShortTickDowningProvider.TICK_PATH, tick)), "must be positive");
    }
    refused(with(Map.of(ShortTickDowningProvider.TICK_PATH, "2s",
        "akka.cluster.split-brain-resolver.stable-after", "1s")), "must be at most");
  }

  private static void refused(Config config, String reason) {
    try {
      new ShortTickDowningProvider(system, config);
      fail("tick " + config.getString(ShortTickDowningProvider.TICK_PATH) + " must be refused");
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage(), expected.getMessage().contains(ShortTickDowningProvider.TICK_PATH));
      assertTrue(expected.getMessage(), expected.getMessage().contains(reason));
    }
  }

  @Test
  public void downRemovalMarginAndPropsAreAsAkkasProvider() {
    SplitBrainResolverProvider akka = new SplitBrainResolverProvider(system);
    ShortTickDowningProvider ours = new ShortTickDowningProvider(system);
    assertEquals("the configured margin (1ms)", akka.downRemovalMargin(), ours.downRemovalMargin());
    assertEquals(FiniteDuration.create(1, TimeUnit.MILLISECONDS), ours.downRemovalMargin());
    FiniteDuration stableAfter = FiniteDuration.create(1, TimeUnit.SECONDS);
    assertEquals("zero or off: stable-after", stableAfter,
        ShortTickDowningProvider.downRemovalMargin(FiniteDuration.Zero(), stableAfter));
    assertEquals(FiniteDuration.create(7, TimeUnit.SECONDS),
        ShortTickDowningProvider.downRemovalMargin(FiniteDuration.create(7, TimeUnit.SECONDS), stableAfter));

    Props props = ours.downingActorProps().get();
    assertSame(ShortTickSplitBrainResolver.class, props.actorClass());
    assertEquals(akka.downingActorProps().get().dispatcher(), props.dispatcher());
    assertEquals(akka.downingActorProps().get().mailbox(), props.mailbox());
  }

  /** A lease that is never taken: lease-majority only needs one to be built. */
  public static final class NoLease extends Lease {
    private final LeaseSettings settings;

    public NoLease(LeaseSettings settings, ExtendedActorSystem system) {
      this.settings = settings;
    }

    @Override
    public LeaseSettings getSettings() {
      return settings;
    }

    @Override
    public CompletionStage<Boolean> acquire() {
      return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
      return acquire();
    }

    @Override
    public CompletionStage<Boolean> release() {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public boolean checkLease() {
      return false;
    }
  }
}
