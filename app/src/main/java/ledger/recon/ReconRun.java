package ledger.recon;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.cassandra.query.javadsl.CassandraReadJournal;
import akka.persistence.query.PersistenceQuery;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import ledger.account.Account;
import ledger.account.AccountEntity;
import ledger.account.PendingLeg;
import ledger.liveness.PendingLegFloor;
import ledger.query.AccountProjections;
import ledger.query.AccountRows;
import ledger.query.QueryBudget;
import ledger.query.QueryRows;
import ledger.query.QueryRows.AccountRow;
import ledger.query.QueryRows.AccountTransfer;
import ledger.query.QueryRows.Entry;
import ledger.query.QueryRows.PendingLegRow;
import ledger.query.QueryStore;
import ledger.recon.ReconReport.Divergence;
import ledger.recon.ReconReport.Kind;
import ledger.transfer.Transfer;
import ledger.transfer.Transfer.Status;
import ledger.transfer.TransferEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks of one recon run, written as plain blocking steps (it runs on the blocking
 * dispatcher, off the actors): S1 per currency; for each checked account, live entity vs its
 * journal replay vs its query row, and its recent transfers vs their coordinators; pending legs
 * past their bound. It only reads and reports: it never repairs.
 */
final class ReconRun {
  private static final Logger log = LoggerFactory.getLogger(ReconRun.class);
  private static final int STATEMENT_PAGE = 1000;
  private final ActorSystem<?> system;
  private final QueryStore store;
  private final ReconSettings settings;
  private final ClusterSharding sharding;
  private final Clock clock;
  private final Executor executor;
  /** Where the next read of pending-leg rows starts, and the rows below that it reads by key. */
  private final PendingLegFloor pendingFloor;
  /** S1, with the imbalances seen by earlier reads (it reports only one that stayed the same). */
  private final S1Check s1;

  ReconRun(ActorSystem<?> system, QueryStore store, ReconSettings settings, Clock clock, Executor executor) {
    this.system = system;
    this.store = store;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
    this.clock = clock;
    this.executor = executor;
    this.s1 = new S1Check(settings, clock, ReconRun::sleep);
    if (settings.pendingFloorMargin().compareTo(settings.settleTime()) < 0) {
      throw new IllegalArgumentException("ledger.recon.pending-floor-margin must be at least settle-time");
    }
    this.pendingFloor = new PendingLegFloor(settings.pendingFloorMargin(), settings.pendingCompleteInterval(),
        settings.pendingLookback(), settings.pendingCarriedMax());
  }

  /** What one run found, gathered from several threads. */
  private final class Findings {
    final List<Divergence> divergences = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger transfers = new AtomicInteger();
    final AtomicInteger pendingLegs = new AtomicInteger();
    final Set<String> accounts = ConcurrentHashMap.newKeySet();

    void add(Kind kind, String currency, String accountId, String transferId, String detail) {
      divergences.add(new Divergence(kind.wire(), currency, accountId, transferId, detail));
    }
  }

  ReconReport run(boolean full) {
    Instant started = clock.instant();
    Findings f = new Findings();
    S1Check.Outcome s1 = this.s1.check(() -> get(store.totals()));
    f.divergences.addAll(s1.divergences());
    List<AccountRow> accounts = full ? allAccounts() : sample();
    forEachParallel(accounts, row -> checkAccount(row.id(), f));
    checkPendingLegs(f);
    List<Divergence> all = new ArrayList<>(f.divergences);
    all.sort(java.util.Comparator.comparing(Divergence::kind)
        .thenComparing(d -> Objects.toString(d.accountId(), "")).thenComparing(d -> Objects.toString(d.transferId(), "")));
    return new ReconReport(started, clock.instant(), full, s1.currencies(), f.accounts.size(), f.transfers.get(),
        f.pendingLegs.get(), all.size(), all.subList(0, Math.min(all.size(), settings.reportDivergencesMax())), null);
  }

  // ---- accounts ----------------------------------------------------------------------------------

  private List<AccountRow> sample() {
    int buckets = store.settings().listingBuckets();
    int bucket = ThreadLocalRandom.current().nextInt(buckets);
    String start = Character.toString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        .charAt(ThreadLocalRandom.current().nextInt(62)));
    int n = settings.sampleSize();
    List<AccountRow> rows = new ArrayList<>(get(store.accountsInBucket(bucket, start, n)));
    for (int b = 1; b <= buckets && rows.size() < n; b++) {
      for (AccountRow r : get(store.accountsInBucket((bucket + b) % buckets, "", n - rows.size()))) {
        if (rows.stream().noneMatch(x -> x.id().equals(r.id()))) {
          rows.add(r);
        }
      }
    }
    return rows;
  }

  private List<AccountRow> allAccounts() {
    List<AccountRow> all = new ArrayList<>();
    int page = store.settings().pageSizeMax();
    for (int b = 0; b < store.settings().listingBuckets(); b++) {
      String after = "";
      List<AccountRow> rows;
      do {
        rows = get(store.accountsInBucket(b, after, page));
        all.addAll(rows);
        after = rows.isEmpty() ? after : rows.get(rows.size() - 1).id();
      } while (rows.size() == page);
    }
    return all;
  }

  private void checkAccount(String id, Findings f) {
    if (!f.accounts.add(id)) {
      return;
    }
    Optional<Account> live = liveAccount(id);
    if (live.isEmpty()) {
      f.add(Kind.QUERY_ROW_MISMATCH, null, id, null, "the query side lists an account the ledger does not have");
      return;
    }
    Account account = live.get();
    boolean caughtUp = compareWithQueryRow(account, f);
    compareWithJournal(account, caughtUp, f);
    checkTransfers(account, f);
    for (PendingLeg leg : account.pending().values()) {
      checkPendingLeg(account, leg.transferId(), leg.deadline(), f);
    }
  }

  /**
   * Waits (up to settle-time) for the row and the entity to be at one version, then compares;
   * true if the query side reached the entity's version.
   */
  private boolean compareWithQueryRow(Account account, Findings f) {
    long deadline = System.nanoTime() + settings.settleTime().toNanos();
    while (true) {
      Optional<AccountRow> row = get(store.account(account.id()));
      long rowVersion = row.map(AccountRow::version).orElse(0L);
      if (rowVersion == account.version()) {
        String diff = difference(account, row.get());
        if (diff != null) {
          f.add(Kind.QUERY_ROW_MISMATCH, account.currency(), account.id(), null, diff);
        }
        return true;
      }
      if (rowVersion > account.version()) {
        // A busy account moved on since it was asked: its row is past the asked version, and the
        // statement up to that version is compared with the journal (compareWithJournal).
        return true;
      }
      if (System.nanoTime() > deadline) {
        f.add(Kind.QUERY_BEHIND, account.currency(), account.id(), null,
            "query version " + rowVersion + ", entity version " + account.version());
        return false;
      }
      sleep(100);
    }
  }

  static String difference(Account a, AccountRow r) {
    List<String> diffs = new ArrayList<>();
    compare(diffs, "currency", a.currency(), r.currency());
    compare(diffs, "status", a.status().wire(), r.status());
    compare(diffs, "min_balance", a.minBalance(), r.minBalance());
    compare(diffs, "max_balance", a.maxBalance(), r.maxBalance());
    compare(diffs, "metadata", a.metadata(), r.metadata());
    compare(diffs, "debits_posted", a.debitsPosted(), r.debitsPosted());
    compare(diffs, "credits_posted", a.creditsPosted(), r.creditsPosted());
    compare(diffs, "debits_pending", a.debitsPending(), r.debitsPending());
    compare(diffs, "credits_pending", a.creditsPending(), r.creditsPending());
    return diffs.isEmpty() ? null : String.join(", ", diffs);
  }

  private static void compare(List<String> diffs, String field, Object entity, Object query) {
    if (!Objects.equals(entity, query)) {
      diffs.add(field + ": entity " + entity + ", query " + query);
    }
  }

  /**
   * Replays the journal up to the live version with the entity's own event handler; when the
   * query side has reached that version, also compares the statement's latest entries with the
   * entries the journal's events imply (a skipped event shows as a missing entry).
   */
  private void compareWithJournal(Account live, boolean queryCaughtUp, Findings f) {
    CassandraReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class,
        CassandraReadJournal.Identifier());
    String pid = AccountEntity.persistenceId(live.id()).id();
    long statementFrom = Math.max(0, live.version() - settings.statementVersions());
    List<Entry> expected = new ArrayList<>();
    try {
      AccountEntity.State replayed = get(journal.currentEventsByPersistenceId(pid, 0L, live.version())
          .runFold((AccountEntity.State) new AccountEntity.Empty(), (state, envelope) -> {
            AccountEntity.Event event = (AccountEntity.Event) envelope.event();
            if (envelope.sequenceNr() > statementFrom) {
              expected.addAll(AccountRows.statementEntries(live.id(), envelope.sequenceNr(), event));
            }
            return AccountEntity.applyEvent(state, event);
          }, system));
      if (!live.equals(replayed)) {
        String detail = replayed instanceof Account a ? "replayed version " + a.version() + ": "
            + Objects.requireNonNullElse(difference(live, rowOf(a)), "pending legs or times differ")
            : "replay gives no account";
        f.add(Kind.JOURNAL_MISMATCH, live.currency(), live.id(), null, detail);
      } else if (queryCaughtUp) {
        compareStatement(live, statementFrom, expected, f);
      }
    } catch (RuntimeException e) {
      f.add(Kind.JOURNAL_MISMATCH, live.currency(), live.id(), null, "replay failed: " + e.getMessage());
    }
  }

  private void compareStatement(Account live, long from, List<Entry> expected, Findings f) {
    List<Entry> statement = new ArrayList<>();
    Long after = from;
    while (after != null) {
      QueryRows.Page<Entry> page = get(store.entries(live.id(), after, live.version(), STATEMENT_PAGE, budget()));
      statement.addAll(page.items());
      after = page.next();
    }
    String difference = statementDifference(expected.stream().map(ReconRun::toMillis).toList(), statement);
    if (difference != null) {
      f.add(Kind.STATEMENT_MISMATCH, live.currency(), live.id(), null, "versions " + (from + 1) + ".."
          + live.version() + ": " + difference);
    }
  }

  /**
   * Null when the statement holds exactly the entries the journal implies, else what differs.
   * Entries of one version come in the table's order (side: credit before debit), which need not
   * be the order the event lists them in: an account on both sides of a multi-leg transfer.
   */
  static String statementDifference(List<Entry> implied, List<Entry> statement) {
    List<Entry> wanted = implied.stream()
        .sorted(java.util.Comparator.comparingLong(Entry::version).thenComparing(Entry::side)).toList();
    if (wanted.equals(statement)) {
      return null;
    }
    return wanted.size() + " entries implied by the journal, " + statement.size() + " in the statement; missing "
        + describe(wanted.stream().filter(e -> !statement.contains(e)).toList()) + ", unexpected "
        + describe(statement.stream().filter(e -> !wanted.contains(e)).toList());
  }

  private static List<String> describe(List<Entry> entries) {
    return entries.stream().map(e -> e.version() + " " + e.side() + " " + e.status() + " " + e.transferId()).limit(5)
        .toList();
  }

  /** The statement stores times to the millisecond, as Cassandra does. */
  private static Entry toMillis(Entry e) {
    return new Entry(e.accountId(), e.version(), e.side(), e.transferId(), e.amount(), e.status(), e.debitsPosted(),
        e.creditsPosted(), e.debitsPending(), e.creditsPending(), QueryStore.millis(e.at()));
  }

  private static AccountRow rowOf(Account a) {
    return new AccountRow(a.id(), a.currency(), a.status().wire(), a.minBalance(),
        a.maxBalance(), a.metadata(), a.debitsPosted(), a.creditsPosted(), a.debitsPending(), a.creditsPending(),
        a.version(), a.createdAt(), a.updatedAt());
  }

  /** The account's latest transfers rows against their coordinators' decisions. */
  private void checkTransfers(Account account, Findings f) {
    Instant settled = clock.instant().minus(settings.settleTime());
    for (AccountTransfer row : get(store.transfers(account.id(), account.version(), Long.MAX_VALUE,
        settings.transfersPerAccount(), budget())).items()) {
      Optional<Transfer> transfer = transfer(row.transferId());
      if (transfer.isEmpty() || transfer.get().decidedAt() == null || transfer.get().decidedAt().isAfter(settled)
          || row.updatedVersion() > account.version()) {
        continue; // undecided (the pending-leg check covers it) or still settling
      }
      f.transfers.incrementAndGet();
      String expected = switch (transfer.get().status()) {
        case POSTED -> Status.POSTED.wire();
        case PENDING -> Status.PENDING.wire();
        case VOIDED, EXPIRED, REJECTED -> Status.VOIDED.wire(); // an account's leg is posted or released
      };
      if (!expected.equals(row.status())) {
        f.add(Kind.TRANSFER_NOT_REFLECTED, account.currency(), account.id(), row.transferId(),
            "transfer is " + transfer.get().status().wire()
                + ", the account's row says " + row.status());
      }
    }
  }

  // ---- pending legs ------------------------------------------------------------------------------

  /**
   * Pending-leg rows are read from a floor up, as the held-leg sweeper's full reads are
   * ({@link PendingLegFloor}): where every account projection had saved its offset when the
   * previous run began, less {@code pending-floor-margin}. A row written since then (a projection
   * restarting after a crash writes the legs it had not reached, whatever their due time) is due
   * above that floor, so it is read; below it, only the rows the previous run found can be live,
   * and they are read again by key (resolved legs drop out). So the tombstones of released legs
   * are read for a few minutes of due times, not for the whole lookback. The first run of an
   * engine, one after a run that could not read the projections' offsets or found more than
   * {@code pending-carried-max} rows below the floor, one while a projection has no offset, and
   * one every {@code pending-complete-interval} read the whole lookback. A run whose read of rows
   * fails throws before {@code done}: the floor and carried rows stay as they were, still sound
   * (rows written since that floor was set are due above it).
   */
  private void checkPendingLegs(Findings f) {
    Instant start = clock.instant();
    Optional<Instant> projected;
    try {
      projected = get(store.projectedTo(AccountProjections.NAME));
    } catch (RuntimeException e) {
      log.warn("reading the projections' offsets failed: {}; the next run reads the whole pending-lookback",
          e.getMessage());
      projected = null;
    }
    PendingLegFloor.Read read = pendingFloor.begin(start, projected);
    // Legs due after `to` are not overdue yet; the next run's floor is below `to` (the margin
    // is at least settle-time), so it reads them.
    Instant to = start.minus(settings.settleTime());
    Map<String, PendingLegRow> rows = new ConcurrentHashMap<>();
    List<PendingLegRow> carriedLive = read.carried().isEmpty() ? List.of()
        : get(store.pendingLegsStored(read.carried()));
    carriedLive.forEach(r -> rows.put(legKey(r.accountId(), r.transferId()), r));
    if (read.from().isBefore(to)) {
      List<PendingLegRow> due = get(store.pendingLegsDue(read.from(), to));
      read.found(due);
      due.forEach(r -> rows.put(legKey(r.accountId(), r.transferId()), r));
    }
    Map<String, List<PendingLegRow>> byAccount = new ConcurrentHashMap<>();
    rows.values().forEach(r -> byAccount.computeIfAbsent(r.accountId(), k -> new ArrayList<>()).add(r));
    forEachParallel(new ArrayList<>(byAccount.keySet()), accountId -> {
      if (f.accounts.contains(accountId)) {
        return; // its live pending legs were checked with the account
      }
      liveAccount(accountId).ifPresent(account -> {
        for (PendingLegRow r : byAccount.get(accountId)) {
          PendingLeg leg = account.pending().get(r.transferId());
          if (leg != null) {
            checkPendingLeg(account, leg.transferId(), leg.deadline(), f);
          }
        }
      });
    });
    if (!pendingFloor.done(read, carriedLive)) {
      log.warn("more pending-leg rows below the floor than ledger.recon.pending-carried-max ({}): the next run "
          + "reads the whole pending-lookback", settings.pendingCarriedMax());
    }
  }

  private static String legKey(String accountId, String transferId) {
    return accountId + "/" + transferId;
  }

  /** A leg past its prepare deadline must belong to a two-phase transfer still pending and not expired. */
  private void checkPendingLeg(Account account, String transferId, Instant deadline, Findings f) {
    Instant settled = clock.instant().minus(settings.settleTime());
    if (deadline.isAfter(settled)) {
      return;
    }
    f.pendingLegs.incrementAndGet();
    Optional<Transfer> t = transfer(transferId);
    boolean waiting = t.isPresent() && t.get().status() == Transfer.Status.PENDING
        && (t.get().expiresAt() == null || t.get().expiresAt().isAfter(settled));
    if (!waiting) {
      f.add(Kind.PENDING_LEG_OVERDUE, account.currency(), account.id(), transferId, "leg pending since "
          + deadline + "; transfer is " + t.map(x -> x.status().wire())
          .orElse("undecided"));
    }
  }

  // ---- asks and plumbing -------------------------------------------------------------------------

  private Optional<Account> liveAccount(String id) {
    AccountEntity.Reply reply = get(sharding.entityRefFor(AccountEntity.TYPE_KEY, id)
        .ask(AccountEntity.Get::new, settings.askTimeout()));
    return reply instanceof AccountEntity.Accepted a ? Optional.of(a.account()) : Optional.empty();
  }

  private Optional<Transfer> transfer(String id) {
    TransferEntity.Reply reply = get(sharding.entityRefFor(TransferEntity.TYPE_KEY, id)
        .ask(TransferEntity.Get::new, settings.askTimeout()));
    return reply instanceof TransferEntity.Done d ? Optional.of(d.transfer()) : Optional.empty();
  }

  private <T> void forEachParallel(List<T> items, java.util.function.Consumer<T> check) {
    int width = Math.max(1, settings.parallelism());
    for (int i = 0; i < items.size(); i += width) {
      List<CompletableFuture<Void>> running = new ArrayList<>();
      for (T item : items.subList(i, Math.min(items.size(), i + width))) {
        running.add(CompletableFuture.runAsync(() -> check.accept(item), executor));
      }
      running.forEach(CompletableFuture::join);
    }
  }

  /** The time of one call ({@link #get}) for the reads of one query-side call. */
  private QueryBudget budget() {
    return QueryBudget.within(settings.askTimeout().multipliedBy(4));
  }

  private <T> T get(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(settings.askTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("recon interrupted", e);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("recon interrupted", e);
    }
  }
}
