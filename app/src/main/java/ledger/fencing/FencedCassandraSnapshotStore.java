package ledger.fencing;

import akka.actor.typed.javadsl.Adapter;
import akka.persistence.SnapshotMetadata;
import akka.persistence.SnapshotSelectionCriteria;
import akka.persistence.cassandra.snapshot.CassandraSnapshotStore;
import com.typesafe.config.Config;
import ledger.metrics.Metrics;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;

/**
 * The Cassandra snapshot store, refusing to save or delete while this node incarnation does
 * not hold its node lease: an old incarnation's snapshot would be a state the journal's new
 * writer never had, and recovery starts from the newest snapshot.
 */
public class FencedCassandraSnapshotStore extends CassandraSnapshotStore {
  private final NodeLease lease;
  private final Metrics metrics;

  public FencedCassandraSnapshotStore(Config config, String configPath) {
    super(config, configPath);
    this.lease = Fencing.get(Adapter.toTyped(context().system())).lease();
    this.metrics = Metrics.get(Adapter.toTyped(context().system()));
  }

  @Override
  public Future<BoxedUnit> saveAsync(SnapshotMetadata metadata, Object snapshot) {
    return lease.allowsWrite() ? super.saveAsync(metadata, snapshot) : refused("save");
  }

  @Override
  public Future<BoxedUnit> deleteAsync(SnapshotMetadata metadata) {
    return lease.allowsWrite() ? super.deleteAsync(metadata) : refused("delete");
  }

  @Override
  public Future<BoxedUnit> deleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return lease.allowsWrite() ? super.deleteAsync(persistenceId, criteria) : refused("delete");
  }

  private Future<BoxedUnit> refused(String what) {
    metrics.fencedWrites.labels("snapshot").inc();
    return akka.dispatch.Futures.failed(lease.refusal("snapshot " + what));
  }
}
