package ledger.query;

import akka.Done;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projection's handler, for a group of envelopes at a time: each account's events in the
 * group are written as one run ({@link AccountRows#writeRun}), accounts side by side (at most
 * {@code parallelism} at once). It never skips: an account whose events in the group do not
 * follow on from its projected version (the tag stream passed over an event, see
 * {@link AccountJournal}) has the whole range read from the journal and written from there;
 * events at or below the projected version are redeliveries and are skipped. It remembers the
 * projected version of the accounts it saw last (a bounded map) instead of reading it for every
 * group; the only other writer, a {@code min_version} catch-up, can only move an account ahead
 * of what it remembers, which costs a rewrite, never a skip.
 */
public final class AccountProjectionHandler extends Handler<List<EventEnvelope<Event>>> {
  private static final Logger log = LoggerFactory.getLogger(AccountProjectionHandler.class);

  private final QueryStore store;
  private final AccountRows rows;
  private final AccountJournal journal;
  private final int parallelism;
  /** Told each event's lag, from its journal timestamp to its rows written. */
  private final Consumer<Long> lagMillis;
  /** Told how many events each gap filled from the journal had. */
  private final Consumer<Long> gapEvents;
  private final Map<String, Long> projected;

  public AccountProjectionHandler(QueryStore store, AccountJournal journal, int knownAccountsMax, int parallelism,
                                  Consumer<Long> lagMillis, Consumer<Long> gapEvents) {
    this.store = store;
    this.rows = new AccountRows(store, journal);
    this.journal = journal;
    this.parallelism = parallelism;
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
  public CompletionStage<Done> process(List<EventEnvelope<Event>> envelopes) {
    Map<String, List<EventEnvelope<Event>>> byAccount = new LinkedHashMap<>();
    for (EventEnvelope<Event> e : envelopes) {
      byAccount.computeIfAbsent(accountId(e.persistenceId()), k -> new ArrayList<>()).add(e);
    }
    List<String> accounts = new ArrayList<>(byAccount.keySet());
    List<CompletableFuture<Done>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Math.min(parallelism, accounts.size()); lane++) {
      CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
      for (int i = lane; i < accounts.size(); i += parallelism) {
        String id = accounts.get(i);
        chain = chain.thenCompose(d -> account(id, byAccount.get(id)));
      }
      lanes.add(chain.toCompletableFuture());
    }
    return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).thenApply(d -> {
      long now = System.currentTimeMillis();
      envelopes.forEach(e -> lagMillis.accept(now - e.timestamp()));
      return Done.getInstance();
    });
  }

  /** One account's envelopes of the group, in the order the tag stream delivered them. */
  private CompletionStage<Done> account(String id, List<EventEnvelope<Event>> envelopes) {
    return projectedVersion(id).thenCompose(done -> {
      List<AccountJournal.Versioned> run = new ArrayList<>();
      for (EventEnvelope<Event> e : envelopes) {
        long next = done + run.size() + 1;
        if (e.sequenceNr() == next) {
          run.add(new AccountJournal.Versioned(e.sequenceNr(), e.event()));
        } else if (e.sequenceNr() > next) {
          return fromJournal(id, done + 1, envelopes);
        }
      }
      if (run.isEmpty()) {
        return CompletableFuture.completedFuture(Done.getInstance()); // all redelivered: their rows are written
      }
      long upTo = run.get(run.size() - 1).version();
      return rows.writeRun(id, run).thenApply(d -> {
        projected.put(id, upTo);
        return d;
      });
    });
  }

  /** Versions {@code from} up to the last envelope, of which the tag stream passed over some: all from the journal. */
  private CompletionStage<Done> fromJournal(String id, long from, List<EventEnvelope<Event>> envelopes) {
    long to = envelopes.stream().mapToLong(EventEnvelope::sequenceNr).max().orElseThrow();
    long delivered = envelopes.stream().mapToLong(EventEnvelope::sequenceNr).filter(v -> v >= from).distinct().count();
    log.warn("Account {}: the tag stream passed over {} of versions {}..{}; writing them from the journal", id,
        to - from + 1 - delivered, from, to);
    return rows.fromJournal(id, from, to, true).thenApply(written -> {
      gapEvents.accept(written - delivered);
      projected.put(id, to);
      return Done.getInstance();
    });
  }

  /**
   * Remembered, or read from the listing row. Always known before a run is written: a run that
   * held and released a leg writes no pending-leg row for it, which is right only if the leg's
   * hold was not written before (a redelivered run must start past the projected version).
   */
  private CompletionStage<Long> projectedVersion(String accountId) {
    Long known = projected.get(accountId);
    return known != null ? CompletableFuture.completedFuture(known) : store.projectedVersion(accountId);
  }

  static String accountId(String persistenceId) {
    int sep = persistenceId.indexOf('|');
    if (sep < 0 || !persistenceId.startsWith(AccountEntity.TYPE_KEY.name())) {
      throw new IllegalArgumentException("not an account persistence id: " + persistenceId);
    }
    return persistenceId.substring(sep + 1);
  }
}
