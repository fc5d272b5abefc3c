package ledger.fencing;

import akka.actor.typed.javadsl.Adapter;
import akka.persistence.AtomicWrite;
import akka.persistence.cassandra.journal.CassandraJournal;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import ledger.metrics.Metrics;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import scala.util.Failure;
import scala.util.Try;

/**
 * The Cassandra journal, refusing every write, and every delete, while this node incarnation
 * does not hold its node lease ({@link NodeLease}). A refused write is rejected (nothing was
 * written): the entity fails and restarts from the journal, and its caller gets no
 * acknowledgement. The check is made when the write reaches the journal, the last point before
 * the plugin builds its statements.
 */
public class FencedCassandraJournal extends CassandraJournal {
  private final NodeLease lease;
  private final Metrics metrics;

  public FencedCassandraJournal(Config config, String configPath) {
    super(config, configPath);
    this.lease = Fencing.get(Adapter.toTyped(context().system())).lease();
    this.metrics = Metrics.get(Adapter.toTyped(context().system()));
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    if (lease.allowsWrite()) {
      return super.asyncWriteMessages(messages);
    }
    metrics.fencedWrites.labels("journal").inc(messages.size());
    NodeLease.Fenced refused = lease.refusal("journal write");
    List<Try<BoxedUnit>> each = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      each.add(new Failure<>(refused));
    }
    return akka.dispatch.Futures.successful(CollectionConverters.asScala(each).toList());
  }

  @Override
  public Future<BoxedUnit> asyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    if (lease.allowsWrite()) {
      return super.asyncDeleteMessagesTo(persistenceId, toSequenceNr);
    }
    metrics.fencedWrites.labels("delete").inc();
    return akka.dispatch.Futures.failed(lease.refusal("journal delete"));
  }
}
