package ledger.query;

import static org.junit.Assert.assertEquals;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.persistence.cassandra.query.javadsl.CassandraReadJournal;
import akka.persistence.query.NoOffset;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import akka.projection.testkit.javadsl.ProjectionTestKit;
import akka.projection.testkit.javadsl.TestProjection;
import akka.projection.testkit.javadsl.TestSourceProvider;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Event;
import ledger.account.AccountSpec;
import ledger.account.Counters;
import ledger.account.PendingLeg;
import ledger.cassandra.CassandraConnection;
import ledger.cassandra.CassandraSchema;
import ledger.query.QueryRows.Entry;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The late tag write, reproduced with the real Cassandra journal and its events-by-tag query:
 * an account event is in the journal but its tag row is not yet (its node died between the two
 * writes; the row is written when the account recovers, with the event's original time), and
 * the projection restarts from its saved offset. The tag stream then takes the account's next
 * event for its first and delivers it; the statement must still get the missing one, and the
 * listing version (what min_version reads) must not claim it early.
 */
public class TagStreamGapTest {
  private static final String KEYSPACE = "it_tag_gap";
  private static final Instant T = Instant.parse("2026-11-20T10:00:00.000Z");
  private static Config config;
  private static ActorTestKit testKit;
  private static QueryStore store;

  @BeforeClass
  public static void start() {
    // A journal test without a cluster: no node lease to hold, so no fence (FencingIntegrationTest).
    config = TestNodes.onCassandra(KEYSPACE, Map.of("ledger.fencing.enabled", "off"));
    CassandraSchema.apply(config);
    testKit = ActorTestKit.create("tag-gap-test", CassandraConnection.driverConfig(config).withFallback(config));
    store = new QueryStore(testKit.system(), QuerySettings.fromConfig(config));
  }

  @AfterClass
  public static void stop() {
    testKit.shutdownTestKit();
  }

  /** Persists what it is told with the account's persistence id and tag, as AccountEntity does. */
  record Write(Event event, ActorRef<Done> replyTo) {}

  static final class Writer extends EventSourcedBehavior<Write, Event, Long> {
    private final String tag;

    Writer(String accountId, String tag) {
      super(AccountEntity.persistenceId(accountId));
      this.tag = tag;
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Write, Event, Long> commandHandler() {
      return newCommandHandlerBuilder().forAnyState().onCommand(Write.class,
          w -> Effect().persist(w.event()).thenRun(s -> w.replyTo().tell(Done.getInstance()))).build();
    }

    @Override
    public EventHandler<Long, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((version, e) -> version + 1);
    }

    @Override
    public Set<String> tagsFor(Event event) {
      return Set.of(tag);
    }
  }

  /** v1 created, v2 credit 100 held, v3 posted, v4 debit 30 held, v5 voided (the late one), v6-v7 debit 20 held and posted. */
  private static List<Event> history() {
    PendingLeg t1 = new PendingLeg("t1", "USD", 0, 100, T, T.plusSeconds(3), 2L);
    PendingLeg t2 = new PendingLeg("t2", "USD", 30, 0, T, T.plusSeconds(3), 4L);
    PendingLeg t3 = new PendingLeg("t3", "USD", 20, 0, T, T.plusSeconds(3), 6L);
    return List.of(
        new AccountEntity.Created("x", new AccountSpec("USD", 0L, null, Map.of()), T),
        new AccountEntity.LegPrepared(t1, T, new Counters(0, 0, 0, 100)),
        new AccountEntity.LegPosted("t1", null, T, t1, new Counters(0, 100, 0, 0)),
        new AccountEntity.LegPrepared(t2, T, new Counters(0, 100, 30, 0)),
        new AccountEntity.LegVoided("t2", T, t2, new Counters(0, 100, 0, 0)),
        new AccountEntity.LegPrepared(t3, T, new Counters(0, 100, 20, 0)),
        new AccountEntity.LegPosted("t3", null, T, t3, new Counters(20, 100, 0, 0)));
  }

  private static QueryBudget budget() {
    return QueryBudget.within(java.time.Duration.ofSeconds(10));
  }

  @Test
  public void anEventWhoseTagRowLandsBehindTheOffsetIsStillProjectedBeforeTheNextOne() throws Exception {
    String id = "late-tag";
    String tag = AccountEntity.tag(id, store.settings().tagCount());
    ActorRef<Write> writer = testKit.spawn(new Writer(id, tag));
    List<Event> history = history();
    write(writer, history.subList(0, 4));
    CassandraReadJournal journal = PersistenceQuery.get(testKit.system())
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    AtomicLong gapEvents = new AtomicLong();

    // The projection runs up to version 4 and saves its offset.
    List<EventEnvelope<Event>> first = tagged(journal, tag, NoOffset.getInstance(), 4);
    project(handler(gapEvents), "first", first, 4);
    Offset saved = first.get(first.size() - 1).offset();

    // Versions 5-7 are persisted; 5's tag row is not there yet (the late tag write).
    write(writer, history.subList(4, 7));
    deleteTagRow(id, 5);

    // Restarted from its offset, the tag stream delivers 6 and 7 and never 5.
    List<EventEnvelope<Event>> second = tagged(journal, tag, saved, 2);
    assertEquals("the tag stream passes over version 5", List.of(6L, 7L),
        second.stream().map(EventEnvelope::sequenceNr).toList());
    project(handler(gapEvents), "second", second, 7); // a new handler, as after a restart

    List<Entry> entries = store.entries(id, 0, 7, 100, budget()).toCompletableFuture().get(10, TimeUnit.SECONDS)
        .items();
    assertEquals(List.of("2 pending", "3 posted", "4 pending", "5 voided", "6 pending", "7 posted"),
        entries.stream().map(e -> e.version() + " " + e.status()).toList());
    QueryRows.AccountRow row = store.account(id).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
    assertEquals(7, row.version());
    assertEquals(List.of(20L, 100L, 0L, 0L),
        List.of(row.debitsPosted(), row.creditsPosted(), row.debitsPending(), row.creditsPending()));
    assertEquals("version 5 was written from the journal", 1, gapEvents.get());
  }

  private static AccountProjectionHandler handler(AtomicLong gapEvents) {
    return new AccountProjectionHandler(store, AccountJournal.cassandra(testKit.system()), 100, 4, lag -> { },
        gapEvents::addAndGet);
  }

  private static void write(ActorRef<Write> writer, List<Event> events) {
    TestProbe<Done> probe = testKit.createTestProbe();
    for (Event e : events) {
      writer.tell(new Write(e, probe.getRef()));
      probe.expectMessage(Duration.ofSeconds(10), Done.getInstance());
    }
  }

  /** The tagged events after {@code offset}, once the query sees {@code expected} of them (past its consistency delay). */
  private static List<EventEnvelope<Event>> tagged(CassandraReadJournal journal, String tag, Offset offset,
                                                   int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      List<EventEnvelope<Event>> envelopes = journal.currentEventsByTag(tag, offset)
          .map(e -> EventEnvelope.create(e.offset(), e.persistenceId(), e.sequenceNr(), (Event) e.event(),
              e.timestamp()))
          .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
      if (envelopes.size() >= expected || System.nanoTime() > deadline) {
        return envelopes;
      }
      Thread.sleep(200);
    }
  }

  private static void project(AccountProjectionHandler handler, String run, List<EventEnvelope<Event>> envelopes,
                              long version) {
    ActorSystem<?> system = testKit.system();
    TestSourceProvider<Offset, EventEnvelope<Event>> source =
        TestSourceProvider.create(Source.from(envelopes), EventEnvelope::offset);
    ProjectionTestKit.create(system).run(
        TestProjection.create(ProjectionId.of("tag-gap-" + run, "t"), source, () -> new Handler<>() {
          @Override
          public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
            return handler.process(List.of(envelope));
          }
        }),
        () -> assertEquals(version, (long) store.projectedVersion("late-tag").toCompletableFuture()
            .get(10, TimeUnit.SECONDS)));
  }

  private static void deleteTagRow(String accountId, long version) {
    try (CqlSession session = CassandraConnection.openSession(config)) {
      Row row = session.execute(SimpleStatement.newInstance("SELECT tag_name, timebucket, timestamp, tag_pid_sequence_nr FROM " + KEYSPACE
          + ".tag_views WHERE persistence_id = ? AND sequence_nr = ? ALLOW FILTERING",
          AccountEntity.persistenceId(accountId).id(), version)).one();
      session.execute(SimpleStatement.newInstance("DELETE FROM " + KEYSPACE + ".tag_views WHERE tag_name = ? AND timebucket = ? AND timestamp = ? "
              + "AND persistence_id = ? AND tag_pid_sequence_nr = ?", row.getString("tag_name"),
          row.getLong("timebucket"), row.getUuid("timestamp"), AccountEntity.persistenceId(accountId).id(),
          row.getLong("tag_pid_sequence_nr")));
    }
  }
}
