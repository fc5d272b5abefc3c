package ledger.fencing;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.coordination.lease.LeaseSettings;
import akka.coordination.lease.javadsl.Lease;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease that every shard (akka.cluster.sharding.use-lease) and singleton
 * (akka.cluster.singleton.use-lease) takes before it starts anything: granted once this node
 * holds its node lease and every node that is not a live member has been fenced
 * ({@link NodeLease#awaitFenced}). It is lost when the node lease ends (downed or revoked);
 * then the shard stops its entities at once.
 *
 * <p>There is no per-shard row: a shard moves between live members only by hand-off, which
 * stops the old copy first, and a shard moves away from a member only after it was downed,
 * whose node lease the new owner's fence waits out. Release is therefore nothing (Akka 2.6.21's
 * sharding never calls it anyway).
 */
public final class FencingLease extends Lease {
  private static final Logger log = LoggerFactory.getLogger(FencingLease.class);
  private final LeaseSettings settings;
  private final NodeLease node;
  /** The callback of the latest acquire: a shard restarted after a loss acquires again. */
  private volatile Consumer<Optional<Throwable>> lost;

  public FencingLease(LeaseSettings settings, ExtendedActorSystem system) {
    this.settings = settings;
    this.node = Fencing.get(Adapter.toTyped(system)).lease();
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return awaitFenced();
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    Consumer<Optional<Throwable>> before = lost;
    if (before != null) {
      node.removeLostListener(before);
    }
    lost = leaseLostCallback;
    node.addLostListener(leaseLostCallback);
    return awaitFenced();
  }

  /** The node's fence, and a line saying when it let this shard or singleton start (stage timeline). */
  private CompletionStage<Boolean> awaitFenced() {
    long asked = System.nanoTime();
    return node.awaitFenced().whenComplete((granted, failure) -> {
      if (Boolean.TRUE.equals(granted)) {
        log.info("lease {} granted after {} ms", settings.leaseName(), (System.nanoTime() - asked) / 1_000_000);
      }
    });
  }

  @Override
  public CompletionStage<Boolean> release() {
    Consumer<Optional<Throwable>> before = lost;
    if (before != null) {
      node.removeLostListener(before);
    }
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public boolean checkLease() {
    return node.allowsWrite();
  }
}
