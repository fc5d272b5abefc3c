package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.actor.ActorRef;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.Subscribe;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.stream.StreamSupport;
import ledger.testing.TestNodes;
import org.junit.Test;

/**
 * The resolver on a short tick downs an unreachable member within stable-after and one tick,
 * on a real cluster of two nodes in this JVM. The member is reported unreachable to a resolver
 * started for the test on the leader (the failure detector cannot be made to fire at a chosen
 * time), which then downs it through the real cluster: the leader sees MemberDowned.
 *
 * <p>The report comes 100 ms after the resolver started, and its tick timer with it. On a 1 s
 * tick (Akka's) the first decision check would come 1 s after the start, 900 ms after the report:
 * past the bound of stable-after (300 ms) + 400 ms this test asserts, so it fails on Akka's tick.
 */
public class ShortTickSplitBrainResolverTest {
  private static final Duration STABLE_AFTER = Duration.ofMillis(300);
  private static final Duration TICK = Duration.ofMillis(50);
  private static final Duration BOUND = STABLE_AFTER.plusMillis(400);

  private static Config node(int port) {
    return ConfigFactory.parseString(
            "akka.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
            + "akka.remote.artery.canonical.port = " + port + "\n"
            + "akka.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
            + "akka.loglevel = WARNING\n"
            + "akka.cluster.split-brain-resolver.active-strategy = keep-majority\n"
            + "akka.cluster.split-brain-resolver.stable-after = " + STABLE_AFTER.toMillis() + "ms\n"
            + ShortTickDowningProvider.TICK_PATH + " = " + TICK.toMillis() + "ms\n"
            // Nothing real becomes unreachable on a busy test box: only the reported member.
            + "akka.cluster.failure-detector.acceptable-heartbeat-pause = 10s\n")
        .withFallback(ConfigFactory.load());
  }

  @Test
  public void anUnreachableMemberIsDownedWithinStableAfterAndATick() throws Exception {
    int a = TestNodes.freePort();
    int b = TestNodes.freePort();
    // The leader, and the side keep-majority keeps in a one-one split, is the lower address.
    ActorTestKit leader = ActorTestKit.create("ShortTickSbr", node(Math.min(a, b)));
    ActorTestKit other = ActorTestKit.create("ShortTickSbr", node(Math.max(a, b)));
    try {
      assertEquals(ShortTickDowningProvider.class.getName(),
          leader.system().settings().config().getString("akka.cluster.downing-provider-class"));
      Cluster.get(leader.system()).manager().tell(Join.create(Cluster.get(leader.system()).selfMember().address()));
      Cluster.get(other.system()).manager().tell(Join.create(Cluster.get(leader.system()).selfMember().address()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (upMembers(leader) < 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals("two nodes Up", 2, upMembers(leader));
      Member victim = StreamSupport.stream(Cluster.get(leader.system()).state().getMembers().spliterator(), false)
          .filter(m -> m.address().equals(Cluster.get(other.system()).selfMember().address()))
          .findFirst().orElseThrow();

      TestProbe<ClusterEvent.MemberDowned> downed = leader.createTestProbe();
      Cluster.get(leader.system()).subscriptions().tell(Subscribe.create(downed.ref(), ClusterEvent.MemberDowned.class));
      akka.actor.ExtendedActorSystem classic = (akka.actor.ExtendedActorSystem) Adapter.toClassic(leader.system());
      ActorRef resolver = classic.systemActorOf(
          new ShortTickDowningProvider(classic).downingActorProps().get(), "sbr-under-test");
      Thread.sleep(100);

      long reported = System.nanoTime();
      resolver.tell(new ClusterEvent.UnreachableMember(victim), ActorRef.noSender());
      ClusterEvent.MemberDowned event = downed.expectMessageClass(ClusterEvent.MemberDowned.class, Duration.ofSeconds(5));
      Duration took = Duration.ofNanos(System.nanoTime() - reported);
      // It would act on its stale report of the member as the leader leaves at the end.
      classic.stop(resolver);

      assertEquals(victim.uniqueAddress(), event.member().uniqueAddress());
      assertTrue("downed after stable-after, took " + took.toMillis() + " ms", took.compareTo(STABLE_AFTER) >= 0);
      assertTrue("downed within stable-after + 400 ms (tick " + TICK.toMillis() + " ms), took " + took.toMillis()
          + " ms", took.compareTo(BOUND) <= 0);
    } finally {
      other.shutdownTestKit();
      leader.shutdownTestKit();
    }
  }

  private static long upMembers(ActorTestKit node) {
    return StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }
}
