package ledger.journal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import akka.actor.ActorRef;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;
import akka.persistence.AtomicWrite;
import akka.persistence.JournalProtocol;
import akka.persistence.Persistence;
import akka.persistence.PersistentEnvelope;
import akka.persistence.PersistentRepr;
import akka.persistence.cassandra.query.javadsl.CassandraReadJournal;
import akka.persistence.journal.Tagged;
import akka.persistence.query.EventEnvelope;
import akka.persistence.query.NoOffset;
import akka.persistence.query.PersistenceQuery;
import akka.stream.javadsl.Sink;
import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import ledger.LedgerNode;
import ledger.cassandra.CassandraSchema;
import ledger.fencing.Fencing;
import ledger.testing.TestNodes;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The journal contract of {@link LedgerJournal}, on the real embedded Cassandra, through Akka's
 * journal protocol (what a persistent actor sends): order, atomic writes, replay ranges and
 * bounds, the highest sequence number, partitions crossed by an atomic write, the rows the
 * plugin's read journal reads (events by tag and by persistence id), and what it refuses.
 * Partitions of five events here, so that the crossing cases are cheap to reach.
 */
public class LedgerJournalTest {
  private static final String KEYSPACE = "it_journal";
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static LedgerNode node;
  private static CqlSession cql;
  private static ActorRef accounts;
  private static ActorRef transfers;

  @BeforeClass
  public static void start() throws Exception {
    Config config = TestNodes.onCassandra(KEYSPACE, Map.of(
        "akka.persistence.cassandra.journal.target-partition-size", 5,
        "ledger.account-journal.max-events-per-write", 4,
        "ledger.projection.enabled", "off",
        "ledger.recon.enabled", "off"));
    CassandraSchema.apply(config);
    node = LedgerNode.start(config, Duration.ofSeconds(60));
    long end = System.nanoTime() + WAIT.toNanos();
    while (!Fencing.get(node.system()).lease().holds() && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    assertTrue("the node holds its lease", Fencing.get(node.system()).lease().holds());
    cql = CassandraSessionRegistry.get(node.system()).sessionFor("akka.persistence.cassandra").underlying()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Persistence persistence = Persistence.get(Adapter.toClassic(node.system()));
    accounts = persistence.journalFor("ledger.account-journal", ConfigFactory.empty());
    transfers = persistence.journalFor("ledger.transfer-journal", ConfigFactory.empty());
  }

  @AfterClass
  public static void stop() {
    if (node != null) {
      node.stop(Duration.ofSeconds(30));
    }
  }

  @Test
  public void atomicWritesReplayInOrderAcrossPartitions() {
    String pid = "j-order";
    String writer = UUID.randomUUID().toString();
    write(accounts, pid, writer, null, 1);
    write(accounts, pid, writer, null, 2, 3, 4);
    write(accounts, pid, writer, null, 5, 6);        // crosses from partition 0 into 1
    write(accounts, pid, writer, null, 7, 8, 9, 10);
    write(accounts, pid, writer, null, 11);
    assertEquals("an atomic write lies whole in its last event's partition", List.of(5L, 6L, 7L, 8L, 9L, 10L),
        sequenceNrs(pid, 1));
    assertEquals(List.of(1L, 2L, 3L, 4L), sequenceNrs(pid, 0));

    Replay all = replay(accounts, pid, 1, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(range(1, 11), all.sequenceNrs());
    assertEquals(11, all.highest());
    for (PersistentRepr e : all.events()) {
      assertEquals("event-" + e.sequenceNr(), e.payload());
      assertEquals(writer, e.writerUuid());
      assertEquals(pid, e.persistenceId());
    }
    assertEquals(range(3, 6), replay(accounts, pid, 3, 6, Long.MAX_VALUE).sequenceNrs());
    assertEquals("an event written into the next partition is found", List.of(5L),
        replay(accounts, pid, 5, 5, Long.MAX_VALUE).sequenceNrs());
    assertEquals(range(1, 4), replay(accounts, pid, 1, Long.MAX_VALUE, 4).sequenceNrs());
    assertEquals(range(9, 11), replay(accounts, pid, 9, Long.MAX_VALUE, Long.MAX_VALUE).sequenceNrs());
    Replay past = replay(accounts, pid, 12, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(List.of(), past.sequenceNrs());
    assertEquals(11, past.highest());

    // The next write goes on from there, and is found.
    write(accounts, pid, writer, null, 12);
    assertEquals(12, replay(accounts, pid, 1, Long.MAX_VALUE, Long.MAX_VALUE).highest());
  }

  @Test
  public void aNewPersistenceIdIsEmpty() {
    Replay none = replay(transfers, "j-never-written", 1, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(List.of(), none.sequenceNrs());
    assertEquals(0, none.highest());
  }

  @Test
  public void taggedEventsAreReadByThePluginsReadJournal() throws Exception {
    String pid = "j-tagged";
    String tag = "jtag-" + UUID.randomUUID().toString().substring(0, 8);
    String writer = UUID.randomUUID().toString();
    write(accounts, pid, writer, tag, 1, 2);
    write(accounts, pid, writer, tag, 3);
    write(accounts, pid, writer, tag, 4, 5, 6);

    List<Row> tagRows = cql.execute(SimpleStatement.newInstance("SELECT * FROM " + KEYSPACE
        + ".tag_views WHERE tag_name = ? ALLOW FILTERING", tag)).all();
    assertEquals(6, tagRows.size());
    for (Row r : tagRows) {
      assertEquals("tag sequence number is the sequence number", r.getLong("sequence_nr"),
          r.getLong("tag_pid_sequence_nr"));
      Row message = cql.execute(SimpleStatement.newInstance("SELECT timestamp, tags FROM " + KEYSPACE
          + ".messages WHERE persistence_id = ? AND partition_nr IN (0, 1) AND sequence_nr = ?", pid,
          r.getLong("sequence_nr"))).one();
      assertNotNull("the event of tag row " + r.getLong("sequence_nr"), message);
      assertEquals(message.getUuid("timestamp"), r.getUuid("timestamp"));
      assertEquals(Set.of(tag), message.getSet("tags", String.class));
      long millis = com.datastax.oss.driver.api.core.uuid.Uuids.unixTimestamp(r.getUuid("timestamp"));
      assertEquals(millis / 3_600_000L * 3_600_000L, r.getLong("timebucket"));
    }

    CassandraReadJournal queries = PersistenceQuery.get(Adapter.toClassic(node.system()))
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    // Events younger than the eventual-consistency delay (1 s) are not read yet.
    List<EventEnvelope> byTag = List.of();
    long end = System.nanoTime() + WAIT.toNanos();
    while (byTag.size() < 6 && System.nanoTime() < end) {
      Thread.sleep(300);
      byTag = queries.currentEventsByTag(tag, NoOffset.getInstance()).runWith(Sink.seq(), node.system())
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertEquals(range(1, 6), byTag.stream().map(EventEnvelope::sequenceNr).toList());
    assertEquals("event-4", byTag.get(3).event());
    List<EventEnvelope> byId = queries.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), node.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(range(1, 6), byId.stream().map(EventEnvelope::sequenceNr).toList());
  }

  @Test
  public void anEventsTimestampIsTakenWhenItsRequestGoesOut() throws Exception {
    // A write that waited behind the request in flight must not carry the time it was queued:
    // its tag row would then be older than eventual-consistency-delay while still on its way,
    // and a tag query could pass over it.
    String pid = "j-stamped";
    String tag = "jstamp-" + UUID.randomUUID().toString().substring(0, 8);
    Config root = node.system().settings().config();
    JournalSettings settings = JournalSettings.fromConfig(root.getConfig("ledger.account-journal"), root);
    LedgerJournal.Statements statements = LedgerJournal.Statements.prepare(cql, settings)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    akka.serialization.Serializer serializer = akka.serialization.SerializationExtension
        .get(Adapter.toClassic(node.system())).findSerializerFor("event");
    List<LedgerJournal.EventRow> write = new ArrayList<>();
    for (long s = 1; s <= 3; s++) {
      write.add(new LedgerJournal.EventRow(pid, 0, s, "writer", serializer.identifier(), "", "",
          java.nio.ByteBuffer.wrap(serializer.toBinary("event-" + s)), tag));
    }
    Thread.sleep(300);  // queued
    long sent = System.currentTimeMillis();
    statements.write(List.of(write)).toCompletableFuture().get(10, TimeUnit.SECONDS);

    List<Row> messages = cql.execute(SimpleStatement.newInstance("SELECT sequence_nr, timestamp FROM " + KEYSPACE
        + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid)).all();
    assertEquals(3, messages.size());
    UUID previous = null;
    for (Row m : messages) {
      UUID timestamp = m.getUuid("timestamp");
      assertTrue("event " + m.getLong("sequence_nr") + " stamped when sent, not before",
          com.datastax.oss.driver.api.core.uuid.Uuids.unixTimestamp(timestamp) >= sent);
      if (previous != null) {
        assertTrue("timestamps increase with the sequence number", timestamp.timestamp() > previous.timestamp());
      }
      previous = timestamp;
      Row tagRow = cql.execute(SimpleStatement.newInstance("SELECT timestamp FROM " + KEYSPACE
          + ".tag_views WHERE tag_name = ? AND tag_pid_sequence_nr = ? ALLOW FILTERING", tag,
          m.getLong("sequence_nr"))).one();
      assertNotNull(tagRow);
      assertEquals("the tag row has its event's timestamp", timestamp, tagRow.getUuid("timestamp"));
    }
  }

  @Test
  public void writesThatBreakItsRulesAreRejectedAndWriteNothing() {
    String writer = UUID.randomUUID().toString();
    // Two tags on one event: the tag sequence number could no longer be the sequence number.
    Object rejected = send(accounts, "j-two-tags", writer, List.of(
        repr(new Tagged("event-1", Set.of("a", "b")), 1, "j-two-tags", writer)));
    assertTrue(String.valueOf(rejected), rejected instanceof JournalProtocol.WriteMessageRejected);
    // A tagged event in the coordinators' journal, which has no tag rows.
    rejected = send(transfers, "j-tag-untagged", writer, List.of(
        repr(new Tagged("event-1", Set.of("a")), 1, "j-tag-untagged", writer)));
    assertTrue(String.valueOf(rejected), rejected instanceof JournalProtocol.WriteMessageRejected);
    // More events in one atomic write than the bound (4 here).
    List<PersistentRepr> five = new ArrayList<>();
    for (long s = 1; s <= 5; s++) {
      five.add(repr("event-" + s, s, "j-too-many", writer));
    }
    rejected = send(accounts, "j-too-many", writer, five);
    assertTrue(String.valueOf(rejected), rejected instanceof JournalProtocol.WriteMessageRejected);
    for (String pid : List.of("j-two-tags", "j-tag-untagged", "j-too-many")) {
      assertEquals(pid, 0, replay(accounts, pid, 1, Long.MAX_VALUE, Long.MAX_VALUE).highest());
    }
  }

  @Test
  public void eventsAreNeverDeleted() {
    String writer = UUID.randomUUID().toString();
    write(accounts, "j-kept", writer, null, 1, 2);
    TestProbe<Object> probe = TestProbe.create(node.system());
    accounts.tell(new JournalProtocol.DeleteMessagesTo("j-kept", 2, Adapter.toClassic(probe.ref())),
        ActorRef.noSender());
    probe.expectMessageClass(akka.persistence.DeleteMessagesFailure.class, WAIT);
    assertEquals(range(1, 2), replay(accounts, "j-kept", 1, Long.MAX_VALUE, Long.MAX_VALUE).sequenceNrs());
  }

  @Test
  public void aSecondWriterFailsTheReplay() {
    String pid = "j-two-writers";
    write(accounts, pid, "writer-a", null, 1, 2);
    write(accounts, pid, "writer-b", null, 2);
    TestProbe<Object> probe = TestProbe.create(node.system());
    accounts.tell(new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, pid,
        Adapter.toClassic(probe.ref())), ActorRef.noSender());
    Object last;
    do {
      last = probe.receiveMessage(WAIT);
    } while (last instanceof JournalProtocol.ReplayedMessage);
    assertTrue(String.valueOf(last), last instanceof JournalProtocol.ReplayMessagesFailure);
  }

  // ---- helpers ------------------------------------------------------------------------------

  record Replay(List<PersistentRepr> events, long highest) {
    List<Long> sequenceNrs() {
      return events.stream().map(PersistentRepr::sequenceNr).toList();
    }
  }

  private static Replay replay(ActorRef journal, String pid, long from, long to, long max) {
    TestProbe<Object> probe = TestProbe.create(node.system());
    journal.tell(new JournalProtocol.ReplayMessages(from, to, max, pid, Adapter.toClassic(probe.ref())),
        ActorRef.noSender());
    List<PersistentRepr> events = new ArrayList<>();
    while (true) {
      Object m = probe.receiveMessage(WAIT);
      if (m instanceof JournalProtocol.ReplayedMessage replayed) {
        events.add(replayed.persistent());
      } else if (m instanceof JournalProtocol.RecoverySuccess done) {
        return new Replay(events, done.highestSequenceNr());
      } else {
        throw new AssertionError("replay of " + pid + " answered " + m);
      }
    }
  }

  /** One atomic write of the given sequence numbers, which must succeed. */
  private static void write(ActorRef journal, String pid, String writer, String tag, long... sequenceNrs) {
    List<PersistentRepr> events = new ArrayList<>();
    for (long s : sequenceNrs) {
      Object payload = tag == null ? "event-" + s : new Tagged("event-" + s, Set.of(tag));
      events.add(repr(payload, s, pid, writer));
    }
    Object answer = send(journal, pid, writer, events);
    assertTrue(String.valueOf(answer), answer instanceof JournalProtocol.WriteMessageSuccess);
  }

  /** Sends one atomic write; the answer for its first event. */
  private static Object send(ActorRef journal, String pid, String writer, List<PersistentRepr> events) {
    TestProbe<Object> probe = TestProbe.create(node.system());
    AtomicWrite write = AtomicWrite.apply(CollectionConverters.asScala(events).toList());
    scala.collection.immutable.Seq<PersistentEnvelope> writes =
        CollectionConverters.asScala(List.<PersistentEnvelope>of(write)).toList();
    journal.tell(new JournalProtocol.WriteMessages(writes, Adapter.toClassic(probe.ref()), 1), ActorRef.noSender());
    Object batch = probe.receiveMessage(WAIT);
    assertTrue(pid + ": " + batch, batch == JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    Object first = probe.receiveMessage(WAIT);
    for (int i = 1; i < events.size(); i++) {
      probe.receiveMessage(WAIT);
    }
    return first;
  }

  private static PersistentRepr repr(Object payload, long sequenceNr, String pid, String writer) {
    return PersistentRepr.apply(payload, sequenceNr, pid, "", false, ActorRef.noSender(), writer);
  }

  private static List<Long> sequenceNrs(String pid, long partition) {
    return cql.execute(SimpleStatement.newInstance("SELECT sequence_nr FROM " + KEYSPACE
            + ".messages WHERE persistence_id = ? AND partition_nr = ?", pid, partition)).all().stream()
        .map(r -> r.getLong(0)).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(s);
    }
    return out;
  }
}
