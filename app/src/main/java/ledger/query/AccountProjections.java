package ledger.query;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.persistence.cassandra.query.javadsl.CassandraReadJournal;
import akka.persistence.query.Offset;
import akka.projection.HandlerRecoveryStrategy;
import akka.projection.Projection;
import akka.projection.ProjectionBehavior;
import akka.projection.ProjectionId;
import akka.projection.cassandra.javadsl.CassandraProjection;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.SourceProvider;
import com.typesafe.config.Config;
import java.util.Optional;
import ledger.account.AccountEntity;
import ledger.metrics.Metrics;

/**
 * One at-least-once Cassandra projection per account tag, spread over the cluster by a
 * ShardedDaemonProcess (each tag runs on exactly one node and moves when that node leaves). It
 * hands the handler groups of envelopes and saves its offset after each group.
 */
public final class AccountProjections {
  /** The projection name in offset_store; changing it re-projects everything. */
  public static final String NAME = "account-query";

  private AccountProjections() {}

  public static void init(ActorSystem<?> system, QueryStore store, Config config) {
    int tags = store.settings().tagCount();
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, tags,
        i -> ProjectionBehavior.create(projection(system, store, config, AccountEntity.tagName(i))),
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  public static Projection<EventEnvelope<AccountEntity.Event>> projection(ActorSystem<?> system, QueryStore store,
                                                                         Config config, String tag) {
    SourceProvider<Offset, EventEnvelope<AccountEntity.Event>> source =
        EventSourcedProvider.eventsByTag(system, CassandraReadJournal.Identifier(), tag);
    Metrics metrics = Metrics.get(system);
    Config p = config.getConfig("ledger.projection");
    AccountJournal journal = AccountJournal.cassandra(system);
    return CassandraProjection.groupedWithin(ProjectionId.of(NAME, tag), source,
            () -> new AccountProjectionHandler(store, journal, p.getInt("known-accounts-max"),
                p.getInt("write-parallelism"), lagMillis -> {
                  double seconds = lagMillis / 1000.0;
                  metrics.projectionLag.labels(tag).observe(seconds);
                  metrics.projectionLastLag.labels(tag).set(seconds);
                }, events -> metrics.projectionGapEvents.labels(tag).inc(events)))
        .withGroup(p.getInt("group-after-envelopes"), p.getDuration("group-after-duration"))
        .withRecoveryStrategy(HandlerRecoveryStrategy.retryAndFail(p.getInt("handler-retries"),
            p.getDuration("handler-retry-delay")))
        .withRestartBackoff(p.getDuration("restart-backoff-min"), p.getDuration("restart-backoff-max"), 0.2);
  }
}
