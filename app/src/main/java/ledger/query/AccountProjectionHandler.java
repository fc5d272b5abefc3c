package ledger.query;

import akka.Done;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projection's handler: writes the query rows ({@link AccountRows}) of each account event
 * the tag stream delivers, and never skips one. An event that arrives past a gap (the tag
 * stream passed over an event, see {@link AccountJournal}) first has the missing versions read
 * from the journal and written; one at or below the projected version is a redelivery and is
 * skipped. It remembers the projected version of the accounts it saw last (a bounded map)
 * instead of reading it for every event; the only other writer, a {@code min_version} catch-up,
 * can only move an account ahead of what it remembers, which costs a rewrite, never a skip.
 */
public final class AccountProjectionHandler extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(AccountProjectionHandler.class);

  private final QueryStore store;
  private final AccountRows rows;
  /** Told each event's lag, from its journal timestamp to its rows written. */
  private final Consumer<Long> lagMillis;
  /** Told how many events each gap filled from the journal had. */
  private final Consumer<Long> gapEvents;
  private final Map<String, Long> projected;

  public AccountProjectionHandler(QueryStore store, AccountJournal journal, int knownAccountsMax,
                                  Consumer<Long> lagMillis, Consumer<Long> gapEvents) {
    this.store = store;
    this.rows = new AccountRows(store, journal);
    this.lagMillis = lagMillis;
    this.gapEvents = gapEvents;
    this.projected = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
        return size() > knownAccountsMax;
      }
    });
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    String accountId = accountId(envelope.persistenceId());
    long version = envelope.sequenceNr();
    return projectedVersion(accountId).thenCompose(done -> {
      if (version <= done) {
        return CompletableFuture.completedFuture(Done.getInstance()); // redelivered: its rows are written
      }
      return fillGap(accountId, done + 1, version - 1)
          .thenCompose(d -> rows.write(accountId, version, envelope.event()))
          .thenApply(d -> {
            projected.put(accountId, version);
            lagMillis.accept(System.currentTimeMillis() - envelope.timestamp());
            return d;
          });
    });
  }

  private CompletionStage<Long> projectedVersion(String accountId) {
    Long known = projected.get(accountId);
    return known != null ? CompletableFuture.completedFuture(known) : store.projectedVersion(accountId);
  }

  /** Writes the versions {@code from..to} that the tag stream passed over, from the journal. */
  private CompletionStage<Done> fillGap(String accountId, long from, long to) {
    if (from > to) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    log.warn("Account {}: the tag stream passed over versions {}..{}; writing them from the journal", accountId,
        from, to);
    return rows.fromJournal(accountId, from, to, true).thenApply(written -> {
      gapEvents.accept(written);
      return Done.getInstance();
    });
  }

  static String accountId(String persistenceId) {
    int sep = persistenceId.indexOf('|');
    if (sep < 0 || !persistenceId.startsWith(AccountEntity.TYPE_KEY.name())) {
      throw new IllegalArgumentException("not an account persistence id: " + persistenceId);
    }
    return persistenceId.substring(sep + 1);
  }
}
