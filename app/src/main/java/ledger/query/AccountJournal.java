package ledger.query;

import akka.actor.typed.ActorSystem;
import akka.persistence.cassandra.query.javadsl.CassandraReadJournal;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import java.util.List;
import java.util.concurrent.CompletionStage;
import ledger.account.AccountEntity;

/**
 * An account's events as its journal holds them, by version. The projection reads it to fill a
 * gap that the events-by-tag stream left: that stream may pass over an event whose tag row was
 * written late (the tag write of an event persisted just before its node died is redone when
 * the account recovers, with the event's original time, behind the stream's offset), and after
 * a restart from an offset it takes the first event it sees of an account for the next one.
 * The journal itself has every event, in order.
 */
public interface AccountJournal {
  /** One event and its version (sequence number). */
  record Versioned(long version, AccountEntity.Event event) {}

  /** The events with {@code from <= version <= to}, in version order. */
  CompletionStage<List<Versioned>> events(String accountId, long from, long to);

  /** The Cassandra journal, read with the plugin's query side (looked up on first use). */
  static AccountJournal cassandra(ActorSystem<?> system) {
    return (accountId, from, to) -> PersistenceQuery.get(system)
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier())
        .currentEventsByPersistenceId(AccountEntity.persistenceId(accountId).id(), from, to)
        .map(e -> new Versioned(e.sequenceNr(), (AccountEntity.Event) e.event()))
        .runWith(Sink.seq(), system);
  }
}
