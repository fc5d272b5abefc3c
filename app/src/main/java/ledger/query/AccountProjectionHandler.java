package ledger.query;

import akka.Done;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import ledger.account.Counters;
import ledger.account.PendingLeg;
import ledger.query.QueryRows.Entry;
import ledger.query.QueryRows.PendingLegRow;

/**
 * Writes the query rows of one account event. Stateless and idempotent: every row is derived
 * from the event and its sequence number (= the account version) alone, and stamped with that
 * version, so redelivery and reordering leave the same rows. The listing row (which carries
 * the projected version read by min_version) is written last, after the event's other rows.
 */
public final class AccountProjectionHandler extends Handler<EventEnvelope<Event>> {
  private final QueryStore store;
  /** Told each event's lag, from its journal timestamp to its rows written. */
  private final Consumer<Long> lagMillis;

  public AccountProjectionHandler(QueryStore store, Consumer<Long> lagMillis) {
    this.store = store;
    this.lagMillis = lagMillis;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    String accountId = accountId(envelope.persistenceId());
    long version = envelope.sequenceNr();
    return write(accountId, version, envelope.event()).thenApply(done -> {
      lagMillis.accept(System.currentTimeMillis() - envelope.timestamp());
      return done;
    });
  }

  static String accountId(String persistenceId) {
    int sep = persistenceId.indexOf('|');
    if (sep < 0 || !persistenceId.startsWith(AccountEntity.TYPE_KEY.name())) {
      throw new IllegalArgumentException("not an account persistence id: " + persistenceId);
    }
    return persistenceId.substring(sep + 1);
  }

  CompletionStage<Done> write(String id, long version, Event event) {
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
      return finished(id, version, e.transferId(), e.leg(), e.after(), e.at(), "posted", e.partialAmount());
    } else if (event instanceof AccountEntity.LegVoided e) {
      return finished(id, version, e.transferId(), e.leg(), e.after(), e.at(), "voided", null);
    }
    throw new IllegalArgumentException("unknown account event " + event);
  }

  private CompletionStage<Done> prepared(String id, long version, AccountEntity.LegPrepared e) {
    PendingLeg leg = e.leg();
    List<CompletionStage<Done>> rows = new ArrayList<>(entries(id, version, leg.transferId(), leg.debit(),
        leg.credit(), "pending", e.after(), e.at()));
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
  private CompletionStage<Done> finished(String id, long version, String transferId, PendingLeg leg, Counters after,
                                         Instant at, String status, Long partial) {
    List<CompletionStage<Done>> rows = new ArrayList<>();
    String currency = null;
    if (leg != null) {
      currency = leg.currency();
      long debit = leg.debit();
      long credit = leg.credit();
      if (partial != null) {
        debit = debit == 0 ? 0 : partial;
        credit = credit == 0 ? 0 : partial;
      }
      rows.addAll(entries(id, version, transferId, debit, credit, status, after, at));
      if (leg.preparedVersion() != null) {
        rows.add(store.finishAccountTransfer(id, leg.preparedVersion(), transferId, version, status, partial, at));
      }
      rows.add(store.deletePendingLeg(version, leg.deadline(), id, transferId));
    }
    String c = currency;
    return allThen(rows, () -> counters(id, version, c, after, at));
  }

  private List<CompletionStage<Done>> entries(String id, long version, String transferId, long debit, long credit,
                                              String status, Counters after, Instant at) {
    List<CompletionStage<Done>> rows = new ArrayList<>();
    if (debit > 0) {
      rows.add(store.insertEntry(entry(id, version, "debit", transferId, debit, status, after, at)));
    }
    if (credit > 0) {
      rows.add(store.insertEntry(entry(id, version, "credit", transferId, credit, status, after, at)));
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
