package ledger.query;

import akka.Done;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import ledger.account.Counters;
import ledger.account.PendingLeg;
import ledger.query.QueryRows.Entry;
import ledger.query.QueryRows.PendingLegRow;

/**
 * The query rows of account events. Every row is derived from one event and its version alone
 * and stamped with that version ({@link QueryStore}), so writing an event twice, or two writers
 * writing the same account, leaves the same rows. One rule keeps {@code min_version} honest:
 * a writer writes an account's events in version order, and each event's listing row (which
 * carries the projected version) after its other rows; so a listing version V means every row
 * up to V is written.
 */
public final class AccountRows {
  /** Events read from the journal at a time. */
  private static final int JOURNAL_READ_MAX = 500;

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
      CompletionStage<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
      long written = 0;
      for (AccountJournal.Versioned e : events) {
        if (e.version() != from + written) {
          break;
        }
        chain = chain.thenCompose(d -> write(id, e.version(), e.event()));
        written++;
      }
      long count = written;
      if (whole && count != upTo - from + 1) {
        return chain.thenApply(d -> {
          throw new IllegalStateException("the journal of account " + id + " lacks versions " + (from + count)
              + ".." + upTo + " (it has " + events.size() + " of " + from + ".." + upTo + ")");
        });
      }
      if (count < upTo - from + 1) {
        return chain.thenApply(d -> count);
      }
      return chain.thenCompose(d -> fromJournal(id, upTo + 1, to, whole)).thenApply(more -> count + more);
    });
  }

  /** The rows of one event, the listing row last. */
  public CompletionStage<Done> write(String id, long version, Event event) {
    if (event instanceof AccountEntity.Created e) {
      return store.accountCreated(id, version, e.spec().currency(), e.spec().minBalance(), e.spec().maxBalance(),
          e.spec().metadata(), e.at());
    } else if (event instanceof AccountEntity.Locked e) {
      return store.accountStatus(id, version, "locked", e.at());
    } else if (event instanceof AccountEntity.Unlocked e) {
      return store.accountStatus(id, version, "open", e.at());
    } else if (event instanceof AccountEntity.Closed e) {
      return store.accountStatus(id, version, "closed", e.at());
    } else if (event instanceof AccountEntity.LimitsChanged e) {
      return store.accountLimits(id, version, e.minBalance(), e.maxBalance(), e.metadata(), e.at());
    } else if (event instanceof AccountEntity.LegPrepared e) {
      return prepared(id, version, e);
    } else if (event instanceof AccountEntity.LegPosted e) {
      return finished(id, version, e, e.transferId(), e.leg(), e.after(), e.at(), "posted", e.partialAmount());
    } else if (event instanceof AccountEntity.LegVoided e) {
      return finished(id, version, e, e.transferId(), e.leg(), e.after(), e.at(), "voided", null);
    }
    throw new IllegalArgumentException("unknown account event " + event);
  }

  private CompletionStage<Done> prepared(String id, long version, AccountEntity.LegPrepared e) {
    PendingLeg leg = e.leg();
    List<CompletionStage<Done>> rows = insertEntries(statementEntries(id, version, e));
    rows.add(store.insertAccountTransfer(id, version, leg.transferId(), leg.debit(), leg.credit(), leg.preparedAt(),
        leg.deadline()));
    rows.add(store.insertPendingLeg(version, new PendingLegRow(leg.deadline(), id, leg.transferId(), leg.currency(),
        leg.debit(), leg.credit())));
    return allThen(rows, () -> counters(id, version, leg.currency(), e.after(), e.at()));
  }

  /**
   * Post or void. Events persisted before legs were carried on them (leg == null) only move the
   * account's version: their statement rows cannot be derived from the event alone.
   */
  private CompletionStage<Done> finished(String id, long version, Event event, String transferId, PendingLeg leg,
                                         Counters after, Instant at, String status, Long partial) {
    List<CompletionStage<Done>> rows = insertEntries(statementEntries(id, version, event));
    if (leg != null) {
      if (leg.preparedVersion() != null) {
        rows.add(store.finishAccountTransfer(id, leg.preparedVersion(), transferId, version, status, partial, at));
      }
      rows.add(store.deletePendingLeg(version, leg.deadline(), id, transferId));
    }
    String currency = leg == null ? null : leg.currency();
    return allThen(rows, () -> counters(id, version, currency, after, at));
  }

  private List<CompletionStage<Done>> insertEntries(List<Entry> entries) {
    List<CompletionStage<Done>> rows = new ArrayList<>();
    entries.forEach(e -> rows.add(store.insertEntry(e)));
    return rows;
  }

  /**
   * The statement entries of one account event (none for events that move no money), as this
   * handler writes them; the recon engine compares the statement with them.
   */
  public static List<Entry> statementEntries(String id, long version, Event event) {
    if (event instanceof AccountEntity.LegPrepared e) {
      PendingLeg leg = e.leg();
      return entries(id, version, leg.transferId(), leg.debit(), leg.credit(), "pending", e.after(), e.at());
    } else if (event instanceof AccountEntity.LegPosted e && e.leg() != null) {
      Long partial = e.partialAmount();
      long debit = e.leg().debit() == 0 || partial == null ? e.leg().debit() : partial;
      long credit = e.leg().credit() == 0 || partial == null ? e.leg().credit() : partial;
      return entries(id, version, e.transferId(), debit, credit, "posted", e.after(), e.at());
    } else if (event instanceof AccountEntity.LegVoided e && e.leg() != null) {
      return entries(id, version, e.transferId(), e.leg().debit(), e.leg().credit(), "voided", e.after(), e.at());
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

  private CompletionStage<Done> counters(String id, long version, String currency, Counters after, Instant at) {
    if (after == null) {
      return store.accountStatusVersionOnly(id, version, at);
    }
    return store.accountCounters(id, version, currency, after.debitsPosted(), after.creditsPosted(),
        after.debitsPending(), after.creditsPending(), at);
  }

  private static CompletionStage<Done> allThen(List<CompletionStage<Done>> first,
                                               java.util.function.Supplier<CompletionStage<Done>> last) {
    return CompletableFuture.allOf(first.stream().map(CompletionStage::toCompletableFuture)
        .toArray(CompletableFuture[]::new)).thenCompose(d -> last.get());
  }
}
