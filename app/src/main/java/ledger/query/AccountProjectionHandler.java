package ledger.query;

import akka.Done;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projection's handler, for a group of envelopes at a time: each account's events in the
 * group are one run ({@link AccountRows#runRows}), and the runs of all accounts go out together
 * in a few batches (at most {@code parallelism} requests at once). It never skips: an account
 * whose events in the group do not follow on from its projected version (the tag stream passed
 * over an event, see {@link AccountJournal}) has the whole range read from the journal and
 * written from there; events at or below the projected version are redeliveries and are
 * skipped. It remembers the projected version of the accounts it saw last (a bounded map)
 * instead of reading it for every group; the only other writer, a {@code min_version}
 * catch-up, can only move an account ahead of what it remembers, which costs a rewrite, never a
 * skip.
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
    return projectedVersions(new ArrayList<>(byAccount.keySet())).thenCompose(versions -> {
      Group group = new Group();
      byAccount.forEach((id, events) -> group.add(id, versions.get(id), events));
      return group.write();
    }).thenApply(d -> {
      long now = System.currentTimeMillis();
      envelopes.forEach(e -> lagMillis.accept(now - e.timestamp()));
      return Done.getInstance();
    });
  }

  /**
   * The writes of one group of envelopes. The accounts whose events follow on from their
   * projected version go together: the rows of all of them in a few unlogged batches, and then
   * their listing rows (each listing after its own rows, as one account alone would write
   * them), so that the group costs a few round trips, not two per account. An account with a
   * gap, or with more events than one batch takes, is written alone.
   */
  private final class Group {
    private final List<QueryStore.RowWrite> rowWrites = new ArrayList<>();
    private final List<QueryStore.RowWrite> listings = new ArrayList<>();
    private final Map<String, Long> upTo = new LinkedHashMap<>();
    private final List<Supplier<CompletionStage<Done>>> alone = new ArrayList<>();

    /** One account's envelopes of the group, in the order the tag stream delivered them. */
    void add(String id, long done, List<EventEnvelope<Event>> envelopes) {
      List<AccountJournal.Versioned> run = new ArrayList<>();
      for (EventEnvelope<Event> e : envelopes) {
        long next = done + run.size() + 1;
        if (e.sequenceNr() == next) {
          run.add(new AccountJournal.Versioned(e.sequenceNr(), e.event()));
        } else if (e.sequenceNr() > next) {
          alone.add(() -> fromJournal(id, done + 1, envelopes));
          return;
        }
      }
      if (run.isEmpty()) {
        return; // all redelivered: their rows are written
      }
      long last = run.get(run.size() - 1).version();
      if (run.size() > AccountRows.RUN_EVENTS_MAX) {
        alone.add(() -> rows.writeRun(id, run).thenApply(d -> {
          projected.put(id, last);
          return d;
        }));
        return;
      }
      AccountRows.RunRows written = rows.runRows(id, run);
      rowWrites.addAll(written.rows());
      listings.add(written.listing());
      upTo.put(id, last);
    }

    CompletionStage<Done> write() {
      CompletionStage<Done> together = store.executeAll(rowWrites, parallelism)
          .thenCompose(d -> store.executeAll(listings, parallelism))
          .thenApply(d -> {
            projected.putAll(upTo);
            return d;
          });
      CompletionStage<Done> one = QueryStore.inLanes(alone, parallelism, Supplier::get);
      return together.thenCombine(one, (a, b) -> Done.getInstance());
    }
  }

  /**
   * Each account's projected version: remembered, or read from its listing row (at most
   * {@code parallelism} reads at once). Always known before a run is written: a run that held
   * and released a leg writes no pending-leg row for it, which is right only if the leg's hold
   * was not written before (a redelivered run must start past the projected version).
   */
  private CompletionStage<Map<String, Long>> projectedVersions(List<String> accounts) {
    Map<String, Long> versions = new ConcurrentHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String id : accounts) {
      Long known = projected.get(id);
      if (known != null) {
        versions.put(id, known);
      } else {
        unknown.add(id);
      }
    }
    return QueryStore.inLanes(unknown, parallelism,
        id -> store.projectedVersion(id).thenApply(v -> versions.put(id, v))).thenApply(d -> versions);
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

  static String accountId(String persistenceId) {
    int sep = persistenceId.indexOf('|');
    if (sep < 0 || !persistenceId.startsWith(AccountEntity.TYPE_KEY.name())) {
      throw new IllegalArgumentException("not an account persistence id: " + persistenceId);
    }
    return persistenceId.substring(sep + 1);
  }
}
