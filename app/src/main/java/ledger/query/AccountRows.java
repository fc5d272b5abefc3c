package ledger.query;

import akka.Done;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import ledger.account.Counters;
import ledger.account.PendingLeg;
import ledger.query.QueryRows.Entry;
import ledger.transfer.Transfer.Status;
import ledger.query.QueryRows.PendingLegRow;

/**
 * The query rows of account events. Every row is derived from events alone and stamped with
 * the version it comes from ({@link QueryStore.RowWrite}), so writing an event twice, or two
 * writers writing the same account, leaves the same rows. One rule keeps {@code min_version}
 * honest: a writer writes an account's events in version order, and their listing row (which
 * carries the projected version) after their other rows; so a listing version V means every row
 * up to V is written.
 *
 * <p>Consecutive events of one account are written together ({@link #writeRun}): every row but
 * the listing in one unlogged batch, then one listing row with the latest values (cell by cell
 * what the events one by one would leave); a transfer prepared and finished within the run is
 * one {@code account_transfers} row written once, and a leg held and released within the run
 * writes no pending-leg row. At most {@code RUN_EVENTS_MAX} events per batch. The listing row
 * carries the counters that the recon engine sums per currency (S1).
 */
public final class AccountRows {
  /** Events read from the journal at a time. */
  private static final int JOURNAL_READ_MAX = 500;
  /** Events per batch: keeps a batch far below Cassandra's batch_size_fail_threshold (50 KiB). */
  static final int RUN_EVENTS_MAX = 32;

  private final QueryStore store;
  private final AccountJournal journal;

  public AccountRows(QueryStore store, AccountJournal journal) {
    this.store = store;
    this.journal = journal;
  }

  /**
   * Writes versions {@code from..to} read from the journal, in order; the number written. With
   * {@code whole}, a journal that lacks any of them fails the call before anything past the
   * last version it has is written; without, as many as the journal has from {@code from} on
   * are written (a reader may ask for a version the account never reached).
   */
  public CompletionStage<Long> fromJournal(String id, long from, long to, boolean whole) {
    if (from > to) {
      return CompletableFuture.completedFuture(0L);
    }
    long upTo = Math.min(to, from + JOURNAL_READ_MAX - 1);
    return journal.events(id, from, upTo).thenCompose(events -> {
      List<AccountJournal.Versioned> run = new ArrayList<>();
      for (AccountJournal.Versioned e : events) {
        if (e.version() != from + run.size()) {
          break;
        }
        run.add(e);
      }
      long count = run.size();
      CompletionStage<Done> written = writeRun(id, run);
      if (whole && count != upTo - from + 1) {
        return written.thenApply(d -> {
          throw new IllegalStateException("the journal of account " + id + " lacks versions " + (from + count)
              + ".." + upTo + " (it has " + events.size() + " of " + from + ".." + upTo + ")");
        });
      }
      if (count < upTo - from + 1) {
        return written.thenApply(d -> count);
      }
      return written.thenCompose(d -> fromJournal(id, upTo + 1, to, whole)).thenApply(more -> count + more);
    });
  }

  /** The rows of one event, the listing row last. */
  public CompletionStage<Done> write(String id, long version, Event event) {
    return writeRun(id, List.of(new AccountJournal.Versioned(version, event)));
  }

  /** The rows of consecutive events of one account (ascending versions, no gap), in batches. */
  public CompletionStage<Done> writeRun(String id, List<AccountJournal.Versioned> events) {
    CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
    for (int i = 0; i < events.size(); i += RUN_EVENTS_MAX) {
      List<AccountJournal.Versioned> part = events.subList(i, Math.min(events.size(), i + RUN_EVENTS_MAX));
      chain = chain.thenCompose(d -> writeBatch(id, part));
    }
    return chain;
  }

  private CompletionStage<Done> writeBatch(String id, List<AccountJournal.Versioned> events) {
    RunRows run = runRows(id, events);
    return store.execute(run.rows()).thenCompose(d -> store.execute(List.of(run.listing())));
  }

  /**
   * What a run writes, not yet written: its rows, and its listing row, to be written after them
   * (so that the listing's version never runs ahead of the rows).
   */
  public record RunRows(List<QueryStore.RowWrite> rows, QueryStore.RowWrite listing) {}

  /** The rows of at most {@link #RUN_EVENTS_MAX} consecutive events of one account (ascending, no gap). */
  public RunRows runRows(String id, List<AccountJournal.Versioned> events) {
    if (events.isEmpty() || events.size() > RUN_EVENTS_MAX) {
      throw new IllegalArgumentException("a run of " + events.size() + " events; 1 to " + RUN_EVENTS_MAX);
    }
    Run run = new Run(id);
    for (int i = 0; i < events.size(); i++) {
      if (i > 0 && events.get(i).version() != events.get(i - 1).version() + 1) {
        throw new IllegalArgumentException("account " + id + ": a run of events has a gap before version "
            + events.get(i).version());
      }
      run.add(events.get(i).version(), events.get(i).event());
    }
    return new RunRows(run.rows(), run.listing());
  }

  /** What a run of events writes, merged: the rows in order, the latest listing and totals values. */
  private final class Run {
    private final String id;
    private final List<QueryStore.RowWrite> rows = new ArrayList<>();
    /**
     * Pending-leg rows of legs held in this run and not (yet) released in it, by transfer. A leg
     * released in the run writes neither row: the caller starts a run past what is written. (A
     * batch that was written but whose listing write failed is written again, from the same
     * version, possibly with its release in the same run: its pending-leg row then stays, for
     * a leg no longer pending; the recon engine skips such rows.)
     */
    private final Map<String, QueryStore.RowWrite> held = new LinkedHashMap<>();
    /** Transfers prepared in this run, their {@code account_transfers} row not yet made. */
    private final Map<String, PreparedTransfer> preparedHere = new LinkedHashMap<>();
    private final Map<String, Object> listing = new HashMap<>();
    private long version;

    Run(String id) {
      this.id = id;
    }

    void add(long v, Event event) {
      version = v;
      statementEntries(id, v, event).forEach(e -> rows.add(store.entry(e)));
      if (event instanceof AccountEntity.Created e) {
        listing.putAll(Map.of("currency", e.spec().currency(), "status", "open", "created_at", e.at(),
            "metadata", e.spec().metadata()));
        // A limit the account is created without is not written: a null would be a tombstone
        // cell in every listing row, which every listing and totals read goes through.
        if (e.spec().minBalance() != null) {
          listing.put("min_balance", e.spec().minBalance());
        }
        if (e.spec().maxBalance() != null) {
          listing.put("max_balance", e.spec().maxBalance());
        }
        counters(new Counters(0, 0, 0, 0));
        touched(v, e.at());
      } else if (event instanceof AccountEntity.Locked e) {
        status("locked", v, e.at());
      } else if (event instanceof AccountEntity.Unlocked e) {
        status("open", v, e.at());
      } else if (event instanceof AccountEntity.Closed e) {
        status("closed", v, e.at());
      } else if (event instanceof AccountEntity.LimitsChanged e) {
        listing.put("min_balance", e.minBalance());
        listing.put("max_balance", e.maxBalance());
        listing.put("metadata", e.metadata());
        touched(v, e.at());
      } else if (event instanceof AccountEntity.LegPrepared e) {
        prepared(v, e);
      } else if (event instanceof AccountEntity.LegPosted e) {
        finished(v, e.transferId(), e.leg(), e.after(), e.at(), Status.POSTED.wire(), e.partialAmount());
      } else if (event instanceof AccountEntity.LegVoided e) {
        finished(v, e.transferId(), e.leg(), e.after(), e.at(), Status.VOIDED.wire(), null);
      } else {
        throw new IllegalArgumentException("unknown account event " + event);
      }
    }

    private void status(String status, long v, Instant at) {
      listing.put("status", status);
      touched(v, at);
    }

    private void touched(long v, Instant at) {
      listing.put("version", v);
      listing.put("updated_at", at);
    }

    private void prepared(long v, AccountEntity.LegPrepared e) {
      PendingLeg leg = e.leg();
      preparedHere.put(leg.transferId(), new PreparedTransfer(v, leg));
      held.put(leg.transferId(), store.pendingLeg(v, new PendingLegRow(leg.deadline(), id, leg.transferId(),
          leg.currency(), leg.debit(), leg.credit())));
      counters(e.after());
      touched(v, e.at());
    }

    /**
     * Post or void. Events persisted before legs were carried on them (leg == null) only move
     * the account's version: their rows cannot be derived from the event alone.
     */
    private void finished(long v, String transferId, PendingLeg leg, Counters after, Instant at, String status,
                          Long partial) {
      if (leg != null) {
        QueryStore.Finish finish = new QueryStore.Finish(v, status, partial, at);
        PreparedTransfer here = preparedHere.remove(transferId);
        if (here != null) {
          rows.add(transferRow(here, finish));
        } else if (leg.preparedVersion() != null) {
          rows.add(store.finishAccountTransfer(id, leg.preparedVersion(), transferId, finish));
        }
        if (held.remove(transferId) == null) {
          rows.add(store.deletePendingLeg(v, leg.deadline(), id, transferId));
        }
        counters(after);
      }
      touched(v, at);
    }

    private void counters(Counters after) {
      if (after == null) {
        return; // an event from before events carried counters
      }
      listing.put("debits_posted", after.debitsPosted());
      listing.put("credits_posted", after.creditsPosted());
      listing.put("debits_pending", after.debitsPending());
      listing.put("credits_pending", after.creditsPending());
    }

    /** The account_transfers row of a transfer prepared in this run: pending, or as {@code finish} ended it. */
    private QueryStore.RowWrite transferRow(PreparedTransfer p, QueryStore.Finish finish) {
      PendingLeg leg = p.leg();
      return store.accountTransfer(id, p.version(), leg.transferId(), leg.debit(), leg.credit(), leg.preparedAt(),
          leg.deadline(), finish);
    }

    List<QueryStore.RowWrite> rows() {
      List<QueryStore.RowWrite> all = new ArrayList<>(rows);
      preparedHere.values().forEach(p -> all.add(transferRow(p, null)));
      all.addAll(held.values());
      return all;
    }

    QueryStore.RowWrite listing() {
      return store.listing(id, version, listing);
    }
  }

  private record PreparedTransfer(long version, PendingLeg leg) {}

  /**
   * The statement entries of one account event, as written here; the recon engine compares the
   * statement with them. The statement shows what the account holder did: a one-phase transfer
   * is one entry, its posting; a two-phase transfer is its hold (pending), then its posting or
   * release (voided, also for an expiry). The protocol's own hold and release of a one-phase
   * transfer (prepare, and void when another account refused) are not entries; neither are
   * events that move no money.
   */
  public static List<Entry> statementEntries(String id, long version, Event event) {
    if (event instanceof AccountEntity.LegPrepared e && e.leg().inStatement()) {
      PendingLeg leg = e.leg();
      return entries(id, version, leg.transferId(), leg.debit(), leg.credit(), Status.PENDING.wire(), e.after(),
          e.at());
    } else if (event instanceof AccountEntity.LegPosted e && e.leg() != null) {
      Long partial = e.partialAmount();
      long debit = e.leg().debit() == 0 || partial == null ? e.leg().debit() : partial;
      long credit = e.leg().credit() == 0 || partial == null ? e.leg().credit() : partial;
      return entries(id, version, e.transferId(), debit, credit, Status.POSTED.wire(), e.after(), e.at());
    } else if (event instanceof AccountEntity.LegVoided e && e.leg() != null && e.leg().inStatement()) {
      return entries(id, version, e.transferId(), e.leg().debit(), e.leg().credit(), Status.VOIDED.wire(), e.after(),
          e.at());
    }
    return List.of();
  }

  private static List<Entry> entries(String id, long version, String transferId, long debit, long credit,
                                     String status, Counters after, Instant at) {
    List<Entry> rows = new ArrayList<>();
    if (debit > 0) {
      rows.add(entry(id, version, "debit", transferId, debit, status, after, at));
    }
    if (credit > 0) {
      rows.add(entry(id, version, "credit", transferId, credit, status, after, at));
    }
    return rows;
  }

  private static Entry entry(String id, long version, String side, String transferId, long amount, String status,
                             Counters a, Instant at) {
    return new Entry(id, version, side.toLowerCase(Locale.ROOT), transferId, amount, status,
        a == null ? null : a.debitsPosted(), a == null ? null : a.creditsPosted(),
        a == null ? null : a.debitsPending(), a == null ? null : a.creditsPending(), at);
  }
}
