package ledger.query;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.javadsl.Handler;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.testkit.javadsl.ProjectionTestKit;
import akka.projection.testkit.javadsl.TestProjection;
import akka.projection.testkit.javadsl.TestSourceProvider;
import akka.stream.javadsl.Source;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.typesafe.config.Config;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import ledger.account.AccountSpec;
import ledger.account.Counters;
import ledger.account.PendingLeg;
import ledger.cassandra.CassandraConnection;
import ledger.cassandra.CassandraSchema;
import ledger.query.QueryRows.AccountRow;
import ledger.query.QueryRows.AccountTransfer;
import ledger.query.QueryRows.Entry;
import ledger.testing.CassandraReads;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The projection handler through akka-projection-testkit, writing to the real query tables on
 * the embedded Cassandra: an account's events delivered in order, and the same events
 * redelivered, out of order or with a version the tag stream passed over, must leave identical
 * rows, with the values the events imply.
 */
public class AccountProjectionHandlerTest {
  private static final String KEYSPACE = "it_projection_handler";
  private static final Instant T = Instant.parse("2026-11-20T10:00:00.000Z");
  private static final AtomicInteger ids = new AtomicInteger();
  private static ActorTestKit testKit;
  private static QueryStore store;
  private static Config config;

  @BeforeClass
  public static void start() {
    config = TestNodes.onCassandra(KEYSPACE, Map.of());
    CassandraSchema.apply(config);
    testKit = ActorTestKit.create("handler-test", CassandraConnection.driverConfig(config).withFallback(config));
    store = new QueryStore(testKit.system(), QuerySettings.fromConfig(config));
  }

  @AfterClass
  public static void stop() {
    testKit.shutdownTestKit();
  }

  private static QueryBudget budget() {
    return QueryBudget.within(java.time.Duration.ofSeconds(10));
  }

  /** v1 created, v2 credit 100 held, v3 posted, v4 debit 30 held, v5 locked, v6 voided, v7 debit 20 held. */
  private static List<Event> history() {
    PendingLeg t1 = new PendingLeg("t1", "USD", 0, 100, T.plusSeconds(1), T.plusSeconds(4), 2L);
    PendingLeg t2 = new PendingLeg("t2", "USD", 30, 0, T.plusSeconds(3), T.plusSeconds(6), 4L);
    PendingLeg t3 = new PendingLeg("t3", "USD", 20, 0, T.plusSeconds(7), T.plusSeconds(10), 7L);
    return List.of(
        new AccountEntity.Created("x", new AccountSpec("USD", 0L, null, Map.of("k", "v")), T),
        new AccountEntity.LegPrepared(t1, T.plusSeconds(1), new Counters(0, 0, 0, 100)),
        new AccountEntity.LegPosted("t1", null, T.plusSeconds(2), t1, new Counters(0, 100, 0, 0)),
        new AccountEntity.LegPrepared(t2, T.plusSeconds(3), new Counters(0, 100, 30, 0)),
        new AccountEntity.Locked(T.plusSeconds(4)),
        new AccountEntity.LegVoided("t2", T.plusSeconds(5), t2, new Counters(0, 100, 0, 0)),
        new AccountEntity.LegPrepared(t3, T.plusSeconds(7), new Counters(0, 100, 20, 0)));
  }

  /** The journal every test account shares: {@link #history()}. */
  private static final AccountJournal JOURNAL = (accountId, from, to) -> CompletableFuture.completedFuture(
      LongStream.rangeClosed(from, Math.min(to, history().size()))
          .mapToObj(v -> new AccountJournal.Versioned(v, history().get((int) v - 1))).toList());
  private static final AtomicLong gapEvents = new AtomicLong();

  private static AccountProjectionHandler handler(AccountJournal journal) {
    return new AccountProjectionHandler(store, journal, 100, 4, lag -> { }, gapEvents::addAndGet);
  }

  /** Delivers the envelopes of these versions of {@link #history()}, in this order, and waits until all are handled. */
  private static void project(String accountId, int... versions) {
    List<Event> events = history();
    List<EventEnvelope<Event>> envelopes = new ArrayList<>();
    for (int i = 0; i < versions.length; i++) {
      int v = versions[i];
      envelopes.add(EventEnvelope.create(Offset.sequence(i), "Account|" + accountId, v, events.get(v - 1),
          System.currentTimeMillis()));
    }
    TestSourceProvider<Offset, EventEnvelope<Event>> source =
        TestSourceProvider.create(Source.from(envelopes), EventEnvelope::offset);
    AtomicInteger handled = new AtomicInteger();
    AccountProjectionHandler handler = handler(JOURNAL);
    ProjectionTestKit.create(testKit.system()).run(
        TestProjection.create(ProjectionId.of("handler-test", accountId), source, () -> new Handler<>() {
          @Override
          public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
            return handler.process(List.of(envelope)).thenApply(d -> {
              handled.incrementAndGet();
              return d;
            });
          }
        }),
        () -> assertEquals(versions.length, handled.get()));
  }

  private record Rows(AccountRow account, List<Entry> entries, List<AccountTransfer> transfers) {}

  private static Rows rows(String id) throws Exception {
    return new Rows(store.account(id).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow(),
        store.entries(id, 0, 100, 100, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS).items(),
        store.transfers(id, 100, Long.MAX_VALUE, 100, budget())
            .toCompletableFuture().get(10, TimeUnit.SECONDS).items());
  }

  private static Rows renamed(Rows r, String id) {
    AccountRow a = r.account();
    return new Rows(new AccountRow(id, a.currency(), a.status(), a.minBalance(), a.maxBalance(), a.metadata(),
        a.debitsPosted(), a.creditsPosted(), a.debitsPending(), a.creditsPending(), a.version(), a.createdAt(),
        a.updatedAt()),
        r.entries().stream().map(e -> new Entry(id, e.version(), e.side(), e.transferId(), e.amount(), e.status(),
            e.debitsPosted(), e.creditsPosted(), e.debitsPending(), e.creditsPending(), e.at())).toList(),
        r.transfers().stream().map(t -> new AccountTransfer(id, t.preparedVersion(), t.transferId(), t.debit(),
            t.credit(), t.postedAmount(), t.status(), t.preparedAt(), t.deadline(), t.updatedVersion(),
            t.updatedAt())).toList());
  }

  @Test
  public void inOrderEventsGiveTheRowsTheyImply() throws Exception {
    String id = "in-order-" + ids.incrementAndGet();
    project(id, 1, 2, 3, 4, 5, 6, 7);
    Rows r = rows(id);
    assertEquals(new AccountRow(id, "USD", "locked", 0L, null, Map.of("k", "v"), 0, 100, 20, 0, 7, T,
        T.plusSeconds(7)), r.account());
    assertEquals(List.of(
        new Entry(id, 2, "credit", "t1", 100, "pending", 0L, 0L, 0L, 100L, T.plusSeconds(1)),
        new Entry(id, 3, "credit", "t1", 100, "posted", 0L, 100L, 0L, 0L, T.plusSeconds(2)),
        new Entry(id, 4, "debit", "t2", 30, "pending", 0L, 100L, 30L, 0L, T.plusSeconds(3)),
        new Entry(id, 6, "debit", "t2", 30, "voided", 0L, 100L, 0L, 0L, T.plusSeconds(5)),
        new Entry(id, 7, "debit", "t3", 20, "pending", 0L, 100L, 20L, 0L, T.plusSeconds(7))), r.entries());
    assertEquals(100L, (long) r.entries().get(1).balanceAfter());
    assertEquals(80L, (long) r.entries().get(4).availableAfter());
    // Newest first; each transfer's status as the account last saw it.
    assertEquals(List.of("t3:pending", "t2:voided", "t1:posted"),
        r.transfers().stream().map(t -> t.transferId() + ":" + t.status()).toList());
    // Only t3 is still pending.
    List<String> pending = store.pendingLegsDue(T.minusSeconds(3600), T.plusSeconds(3600)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).stream().filter(p -> p.accountId().equals(id)).map(p -> p.transferId()).toList();
    assertEquals(List.of("t3"), pending);
  }

  @Test
  public void redeliveredAndReorderedEventsLeaveIdenticalRows() throws Exception {
    String clean = "clean-" + ids.incrementAndGet();
    String messy = "messy-" + ids.incrementAndGet();
    project(clean, 1, 2, 3, 4, 5, 6, 7);
    // A restart from an old offset redelivers; a reordered delivery applies newer events first.
    project(messy, 4, 6, 1, 7, 2, 5, 3, 2, 6, 1, 3, 4, 5, 7, 7);
    assertEquals(renamed(rows(clean), messy), rows(messy));
    List<String> pending = store.pendingLegsDue(T.minusSeconds(3600), T.plusSeconds(3600)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).stream().filter(p -> p.accountId().equals(messy)).map(p -> p.transferId())
        .toList();
    assertEquals(List.of("t3"), pending);
  }

  /**
   * The late tag write: version 6 was persisted, but its tag row was written only when the
   * account recovered after its node died, with its original time, behind the stream's offset;
   * the stream then delivers 7 as if it came next. The statement must still hold 6, and the
   * listing (min_version) must not claim 7 before it does.
   */
  @Test
  public void anEventThatTheTagStreamPassedOverIsWrittenFromTheJournalBeforeTheNextOne() throws Exception {
    String clean = "clean-" + ids.incrementAndGet();
    String skipped = "skipped-" + ids.incrementAndGet();
    project(clean, 1, 2, 3, 4, 5, 6, 7);
    long gapsBefore = gapEvents.get();
    project(skipped, 1, 2, 3, 4, 5, 7);
    Rows rows = rows(skipped);
    assertEquals("the release of t2 is in the statement", List.of("voided"),
        rows.entries().stream().filter(e -> e.version() == 6).map(Entry::status).toList());
    assertEquals(renamed(rows(clean), skipped), rows);
    assertEquals("one event filled from the journal", 1, gapEvents.get() - gapsBefore);
  }

  /** A gap the journal cannot fill fails the envelope (the projection retries, then restarts): never written past. */
  @Test
  public void aGapTheJournalCannotFillFailsTheEnvelopeAndWritesNothingPastIt() throws Exception {
    String id = "unfillable-" + ids.incrementAndGet();
    project(id, 1, 2, 3);
    AccountJournal lacking = (accountId, from, to) -> CompletableFuture.completedFuture(List.of());
    EventEnvelope<Event> five = EventEnvelope.create(Offset.sequence(5), "Account|" + id, 5, history().get(4),
        System.currentTimeMillis());
    try {
      handler(lacking).process(List.of(five)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      fail("an envelope past an unfillable gap was written");
    } catch (ExecutionException e) {
      assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("lacks versions 4..5"));
    }
    assertEquals(3L, (long) store.projectedVersion(id).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals(List.of(2L, 3L), store.entries(id, 0, 10, 10, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS)
        .items().stream().map(Entry::version).toList());
  }

  /**
   * min_version does not depend on the projection: a reader still waiting after
   * min-version-catch-up-after (1.5 s) has the missing versions written from the journal; a
   * version the journal does not have stays data_not_ready.
   */
  @Test
  public void aReaderWaitingForAVersionHasItWrittenFromTheJournal() throws Exception {
    String id = "reader-" + ids.incrementAndGet();
    project(id, 1, 2, 3);
    VersionWait versions = new VersionWait(store, new AccountRows(store, JOURNAL));
    long started = System.nanoTime();
    assertEquals(7L, (long) versions.await(id, 7, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS));
    long waitedMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue("caught up after about 1.5 s, not " + waitedMs + " ms", waitedMs >= 1400 && waitedMs < 3000);
    assertEquals(List.of(2L, 3L, 4L, 6L, 7L), store.entries(id, 0, 7, 10, budget()).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).items().stream().map(Entry::version).toList());
    try {
      versions.await(id, 8, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      fail("version 8 is in no journal");
    } catch (ExecutionException e) {
      assertTrue(e.getCause().toString(), e.getCause() instanceof DataNotReady d && d.available() == 7);
    }
  }

  /**
   * A reader whose request ended (timed out, or its client left) stops waiting at the next poll,
   * and nothing polls for it afterwards (before, its polls went on for min-version-wait).
   */
  @Test
  public void aReaderWhoseRequestEndedStopsPolling() throws Exception {
    String id = "gone-" + ids.incrementAndGet();
    project(id, 1, 2, 3);
    VersionWait versions = new VersionWait(store, new AccountRows(store, JOURNAL));
    QueryBudget request = QueryBudget.within(java.time.Duration.ofSeconds(30));
    CompletableFuture<Long> waiting = versions.await(id, 99, request).toCompletableFuture();
    Thread.sleep(300);
    request.cancel();
    try {
      waiting.get(2, TimeUnit.SECONDS);
      fail("the reader's request ended");
    } catch (ExecutionException e) {
      assertTrue(e.getCause().toString(), e.getCause() instanceof QueryBudget.QueryCancelled);
    }
    try (CqlSession cql = CassandraConnection.openSession(config)) {
      long before = CassandraReads.reads(cql, KEYSPACE, "account_list");
      Thread.sleep(1500);
      assertEquals("no poll after the reader left", before, CassandraReads.reads(cql, KEYSPACE, "account_list"));
    }
  }

  /**
   * The statement shows what the holder did: a one-phase transfer is one entry, its posting
   * with the balance after it; one refused by another account (held here, then released by the
   * protocol) is none. Its transfers row still tells what happened to it.
   */
  @Test
  public void aOnePhaseTransferIsOneEntryAndOneRefusedElsewhereNone() throws Exception {
    String id = "one-phase-" + ids.incrementAndGet();
    PendingLeg t1 = new PendingLeg("t1", "USD", 0, 100, T.plusSeconds(1), T.plusSeconds(4), 2L, false);
    PendingLeg t2 = new PendingLeg("t2", "USD", 30, 0, T.plusSeconds(3), T.plusSeconds(6), 4L, false);
    List<Event> events = List.of(
        history().get(0),
        new AccountEntity.LegPrepared(t1, T.plusSeconds(1), new Counters(0, 0, 0, 100)),
        new AccountEntity.LegPosted("t1", null, T.plusSeconds(2), t1, new Counters(0, 100, 0, 0)),
        new AccountEntity.LegPrepared(t2, T.plusSeconds(3), new Counters(0, 100, 30, 0)),
        new AccountEntity.LegVoided("t2", T.plusSeconds(4), t2, new Counters(0, 100, 0, 0)));
    AccountRows rows = new AccountRows(store, JOURNAL);
    for (int v = 1; v <= events.size(); v++) {
      rows.write(id, v, events.get(v - 1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    Rows r = rows(id);
    assertEquals(List.of(new Entry(id, 3, "credit", "t1", 100, "posted", 0L, 100L, 0L, 0L, T.plusSeconds(2))),
        r.entries());
    assertEquals(5, r.account().version());
    assertEquals(List.of("t2:voided", "t1:posted"),
        r.transfers().stream().map(t -> t.transferId() + ":" + t.status()).toList());
  }

  /**
   * The projection hands the handler groups: several accounts' events, redeliveries and a gap in
   * one group leave the rows that one event at a time leaves (each account's events one batch).
   */
  @Test
  public void aGroupOfEnvelopesLeavesTheRowsThatOneAtATimeLeaves() throws Exception {
    String clean = "clean-" + ids.incrementAndGet();
    String a = "group-a-" + ids.incrementAndGet();
    String b = "group-b-" + ids.incrementAndGet();
    project(clean, 1, 2, 3, 4, 5, 6, 7);
    project(b, 1, 2);
    List<EventEnvelope<Event>> group = new ArrayList<>();
    int[][] deliveries = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {1, 3}, {2, 3}, {1, 4}, {2, 5}, {1, 5}, {1, 6}, {2, 4},
        {1, 7}, {2, 7}};
    long gapsBefore = gapEvents.get();
    for (int[] d : deliveries) {
      String id = d[0] == 1 ? a : b;
      group.add(EventEnvelope.create(Offset.sequence(group.size()), "Account|" + id, d[1], history().get(d[1] - 1),
          System.currentTimeMillis()));
    }
    handler(JOURNAL).process(group).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(renamed(rows(clean), a), rows(a));
    assertEquals("b's events 3..7 from the journal", renamed(rows(clean), b), rows(b));
    assertEquals("b's 6 was not delivered", 1, gapEvents.get() - gapsBefore);
    List<String> pending = store.pendingLegsDue(T.minusSeconds(3600), T.plusSeconds(3600)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).stream().filter(p -> p.accountId().equals(a) || p.accountId().equals(b))
        .map(p -> p.accountId() + ":" + p.transferId()).sorted().toList();
    assertEquals(List.of(a + ":t3", b + ":t3"), pending);
  }

  /**
   * A group's accounts go out together: their rows in batches of many accounts, then their
   * listing rows. 150 accounts (more than one batch takes) in one group, with their events
   * interleaved, leave the rows that each account projected alone leaves.
   */
  @Test
  public void aGroupOfManyAccountsLeavesTheRowsThatEachAloneLeaves() throws Exception {
    String clean = "clean-" + ids.incrementAndGet();
    project(clean, 1, 2, 3, 4, 5, 6, 7);
    List<String> accounts = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      accounts.add("many-" + ids.incrementAndGet());
    }
    List<EventEnvelope<Event>> group = new ArrayList<>();
    for (int v = 1; v <= history().size(); v++) {
      for (String id : accounts) {
        group.add(EventEnvelope.create(Offset.sequence(group.size()), "Account|" + id, v, history().get(v - 1),
            System.currentTimeMillis()));
      }
    }
    long gapsBefore = gapEvents.get();
    handler(JOURNAL).process(group).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Rows expected = rows(clean);
    for (String id : accounts) {
      assertEquals(id, renamed(expected, id), rows(id));
    }
    assertEquals("no gap", 0, gapEvents.get() - gapsBefore);
  }

  @Test
  public void requestsOfManyWritesStayUnderTheBatchBounds() {
    List<QueryStore.RowWrite> writes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      writes.add(new QueryStore.RowWrite("INSERT", List.of("x".repeat(i % 7 == 0 ? 3000 : 10), 1L)));
    }
    List<List<QueryStore.RowWrite>> chunks = QueryStore.chunks(writes);
    assertEquals("every write once, in order", writes, chunks.stream().flatMap(List::stream).toList());
    for (List<QueryStore.RowWrite> chunk : chunks) {
      assertTrue(chunk.size() <= QueryStore.CHUNK_STATEMENTS_MAX);
      long bytes = chunk.stream().mapToLong(QueryStore::estimatedBytes).sum();
      assertTrue(bytes + " bytes", chunk.size() == 1 || bytes <= QueryStore.CHUNK_BYTES_MAX);
    }
    QueryStore.RowWrite huge = new QueryStore.RowWrite("INSERT", List.of("y".repeat(20_000)));
    assertEquals("a write larger than the bound goes alone", List.of(List.of(writes.get(0)), List.of(huge)),
        QueryStore.chunks(List.of(writes.get(0), huge)));
  }

  @Test
  public void transferRowWritesCarryNoNullSoLeaveNoTombstone() {
    QueryStore.Finish posted = new QueryStore.Finish(4, "posted", null, T);
    QueryStore.Finish partial = new QueryStore.Finish(4, "posted", 7L, T);
    for (QueryStore.RowWrite w : List.of(
        store.accountTransfer("nn", 3, "t", 10, 0, T, T.plusSeconds(3), null),
        store.accountTransfer("nn", 3, "t", 10, 0, T, T.plusSeconds(3), posted),
        store.accountTransfer("nn", 3, "t", 10, 0, T, T.plusSeconds(3), partial),
        store.finishAccountTransfer("nn", 3, "t", posted),
        store.finishAccountTransfer("nn", 3, "t", partial))) {
      assertFalse(w.cql(), w.values().contains(null));
      assertEquals(w.cql(), w.cql().chars().filter(c -> c == '?').count(), w.values().size());
    }
  }

  @Test
  public void theSweeperReadsWhereTheProjectionsAreAndPendingLegsByKey() throws Exception {
    String name = "sweeper-test-" + ids.incrementAndGet();
    int tags = QuerySettings.fromConfig(config).tagCount();
    for (int tag = 0; tag < tags; tag++) {
      if (tag > 0) {
        assertEquals("a tag without an offset: unknown", Optional.empty(),
            store.projectedTo(name).toCompletableFuture().get(10, TimeUnit.SECONDS));
      }
      Instant at = T.plusSeconds(60 - tag); // the last tag is the furthest behind
      store.execute(List.of(new QueryStore.RowWrite("INSERT INTO " + KEYSPACE + ".offset_store (projection_name, "
          + "partition, projection_key, offset, manifest) VALUES (?, ?, ?, ?, 'TBU')",
          List.of(name, tag % 5, "account-" + tag, Uuids.startOf(at.toEpochMilli()).toString()))))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertEquals(Optional.of(T.plusSeconds(60 - tags + 1)),
        store.projectedTo(name).toCompletableFuture().get(10, TimeUnit.SECONDS));

    String a = "by-key-" + ids.incrementAndGet();
    QueryRows.PendingLegRow held = new QueryRows.PendingLegRow(T.plusSeconds(5), a, "t-held", "USD", 1, 0);
    QueryRows.PendingLegRow released = new QueryRows.PendingLegRow(T.plusSeconds(6), a, "t-released", "USD", 1, 0);
    store.execute(List.of(store.pendingLeg(1, held), store.pendingLeg(1, released))).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    store.execute(List.of(store.deletePendingLeg(2, released.dueAt(), a, "t-released"))).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertEquals(List.of(held), store.pendingLegsStored(List.of(held, released)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS));
  }

  @Test
  public void listingRowsOfAccountsWithoutLimitsHoldNoTombstone() throws Exception {
    // 48 accounts in 16 buckets: some bucket holds 3 or more, so a tombstone per row would show
    // as 3 or more in one read.
    for (int i = 0; i < 48; i++) {
      project("no-limit-" + ids.incrementAndGet(), 1, 2, 3); // created without a max_balance
    }
    store.totals().toCompletableFuture().get(10, TimeUnit.SECONDS); // reads every listing bucket
    try (CqlSession cql = CassandraConnection.openSession(config)) {
      // Cassandra's histogram reports a read that met no tombstone in its first bucket, "1".
      long most = CassandraReads.tombstonesPerReadMax(cql, KEYSPACE, "account_list");
      assertTrue("tombstones met by one read of account_list: " + most, most <= 1);
    }
  }

  @Test
  public void totalsAreEachAccountsLatestCountersSummedSoRedeliveryCountsOnce() throws Exception {
    String a = "tot-a-" + ids.incrementAndGet();
    String b = "tot-b-" + ids.incrementAndGet();
    project(a, 1, 2, 3);
    project(b, 1, 2, 3, 4, 3, 2, 1, 3);
    QueryRows.Totals before = usd();
    project(a, 3, 2, 3, 1); // redelivered: changes nothing
    QueryRows.Totals after = usd();
    assertEquals(before, after);
    assertTrue(after.accounts() >= 2);
    // a holds credits_posted 100; b 100 posted and 30 debits pending.
    String c = "tot-c-" + ids.incrementAndGet();
    project(c, 1, 2, 3, 4);
    QueryRows.Totals withC = usd();
    assertEquals(after.creditsPosted().add(BigInteger.valueOf(100)), withC.creditsPosted());
    assertEquals(after.debitsPending().add(BigInteger.valueOf(30)), withC.debitsPending());
    assertEquals(after.accounts() + 1, withC.accounts());
  }

  private static QueryRows.Totals usd() throws Exception {
    return store.totals().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .filter(t -> t.currency().equals("USD")).findFirst().orElseThrow();
  }

  @Test
  public void oldEventsWithoutReadSideFieldsOnlyMoveTheVersion() throws Exception {
    String id = "old-" + ids.incrementAndGet();
    PendingLeg leg = new PendingLeg("t-old", "USD", 0, 5, T, T.plusSeconds(3), null);
    AccountRows rows = new AccountRows(store, JOURNAL);
    rows.write(id, 1, history().get(0)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    rows.write(id, 2, new AccountEntity.LegPrepared(leg, T, null)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    rows.write(id, 3, new AccountEntity.LegPosted("t-old", null, T, null, null)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    AccountRow row = store.account(id).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
    assertEquals(3, row.version());
    assertEquals(List.of(2L), store.entries(id, 0, 3, 10, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS)
        .items().stream().map(Entry::version).toList());
  }

  /**
   * A listing page reads about its own rows, a chunk per hash bucket more, and not up to a whole
   * page from every bucket (before: 16 x min(limit, the bucket's rows), here all 400); a rare
   * filter reads on, bounded by the budget, and its pages still list each match once.
   */
  @Test
  public void aListingPageReadsAboutItsOwnRows() throws Exception {
    List<QueryStore.RowWrite> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      rows.add(store.listing(String.format("lp-%03d", i), 1, Map.of("currency", i % 40 == 7 ? "GBP" : "USD",
          "status", "open", "created_at", T, "version", 1L)));
    }
    for (QueryStore.RowWrite row : rows) {
      store.execute(List.of(row)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    QueryBudget page = budget();
    QueryRows.AccountPage first = store.accounts(null, null, "lp-", "lp-~", 50, page).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertEquals(50, first.accounts().size());
    assertEquals("lp-049", first.next());
    System.out.println("A listing page of 50 of 400 accounts read " + page.rows() + " rows in " + page.reads()
        + " reads");
    assertTrue("rows read: " + page.rows(), page.rows() <= 3 * 50);

    List<String> gbp = new ArrayList<>();
    String after = "lp-";
    int reads = 0;
    long read = 0;
    for (int pages = 0; after != null; pages++) {
      assertTrue(pages < 50);
      QueryBudget budget = new QueryBudget(java.time.Duration.ofSeconds(10), 20, 10_000);
      QueryRows.AccountPage p = store.accounts("GBP", null, after, "lp-~", 5, budget).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      p.accounts().forEach(a -> gbp.add(a.id()));
      after = p.next();
      reads += budget.reads();
      read += budget.rows();
      assertTrue("bounded: " + budget.reads(), budget.reads() <= 20 + 16);
    }
    System.out.println("Listing the 10 GBP accounts of 400, 5 a page, read " + read + " rows in " + reads + " reads");
    assertEquals(List.of("lp-007", "lp-047", "lp-087", "lp-127", "lp-167", "lp-207", "lp-247", "lp-287", "lp-327",
        "lp-367"), gbp);
  }
}
