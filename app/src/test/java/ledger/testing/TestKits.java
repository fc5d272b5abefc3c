package ledger.testing;

import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** ActorSystem configurations of the entity tests: local (no cluster), journal in memory. */
public final class TestKits {
  private TestKits() {}

  /** For {@link EventSourcedBehaviorTestKit}: one entity, its journal and snapshots in memory. */
  public static Config eventSourced() {
    return local().withFallback(EventSourcedBehaviorTestKit.config()).withFallback(ConfigFactory.load());
  }

  /** For entities spawned as actors over Akka's persistence testkit journal and snapshot store. */
  public static Config persistence() {
    return local().withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }

  private static Config local() {
    return ConfigFactory.parseString("akka.actor.provider = local");
  }
}
