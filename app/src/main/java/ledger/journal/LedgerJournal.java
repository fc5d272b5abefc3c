package ledger.journal;

import akka.actor.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.persistence.AtomicWrite;
import akka.persistence.PersistentRepr;
import akka.persistence.journal.Tagged;
import akka.persistence.journal.japi.AsyncWriteJournal;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.Serializer;
import akka.serialization.Serializers;
import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import ledger.cassandra.OnceUntilFailed;
import ledger.fencing.Fencing;
import ledger.fencing.NodeLease;
import ledger.metrics.Metrics;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The ledger's own event journal, on the Cassandra tables of akka-persistence-cassandra 1.0
 * ({@code messages}, {@code tag_views}), so that the plugin's read journal (events by tag for the
 * projections, events by persistence id for the recon) reads what it writes.
 *
 * <p>What it does differently from the plugin, and why:
 * <ul>
 *   <li>An entity's events and their tag rows go out in one request: one LOGGED batch (the
 *       batch log makes the rows of the two partitions all or nothing), where the plugin writes
 *       the events, then the tag rows, then a tag-progress row per persistence id, in sequence.
 *       Untagged events are one single-partition write.</li>
 *   <li>Group commit across entities ({@link WriteQueue}): while {@code writes-in-flight}
 *       requests are out, the writes of other entities wait and go out together in the next
 *       one. Each entity's write stays whole in one partition (and its tag rows with it), and a
 *       failed request fails every write it carried.</li>
 *   <li>No tag-progress bookkeeping: an entity written here carries at most one tag, the same
 *       on every event, so an event's tag sequence number is its sequence number. A write that
 *       breaks this is rejected (nothing written).</li>
 *   <li>A new persistence id is recovered with one read (its first partition), where the plugin
 *       reads the deleted-to mark and two partitions. That holds because no atomic write here
 *       spans more than a partition's worth of events, so an empty partition ends the journal;
 *       and events are never deleted here (deletes fail).</li>
 * </ul>
 *
 * <p>Like the plugin it puts all events of one atomic write in the partition of its last event,
 * so one write is one partition (atomic and isolated) and replays read partitions in order.
 * Every write is refused while this node holds no node lease (ledger.fencing), as the plugin's
 * fenced subclass does.
 */
public final class LedgerJournal extends AsyncWriteJournal {
  private final JournalSettings settings;
  private final Serialization serialization;
  private final NodeLease lease;
  private final Metrics metrics;
  /** The prepared statements (one entry): prepared at start, and again at the next use after a failed prepare. */
  private final OnceUntilFailed<String, Statements> statements;
  /** Above an event's bytes, per row: ids, timestamps, manifests, writer. */
  static final int ROW_OVERHEAD_BYTES = 160;
  private final WriteQueue<List<EventRow>> queue;
  /** This journal's request counters, labelled with the last element of its configuration path. */
  private final io.prometheus.client.Counter.Child requestWrites;
  private final io.prometheus.client.Counter.Child requestsOk;
  private final io.prometheus.client.Counter.Child requestsFailed;
  /** Writes in flight per persistence id: a highest-sequence read waits for its id's write. */
  private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

  public LedgerJournal(Config config, String configPath) {
    akka.actor.typed.ActorSystem<?> system = Adapter.toTyped(context().system());
    this.settings = JournalSettings.fromConfig(config, system.settings().config());
    this.serialization = SerializationExtension.get(context().system());
    this.lease = Fencing.get(system).lease();
    this.metrics = Metrics.get(system);
    String name = configPath.substring(configPath.lastIndexOf('.') + 1);
    this.requestWrites = metrics.journalRequestWrites.labels(name);
    this.requestsOk = metrics.journalRequests.labels(name, "ok");
    this.requestsFailed = metrics.journalRequests.labels(name, "failed");
    var session = CassandraSessionRegistry.get(system).sessionFor(settings.sessionConfigPath());
    this.statements = new OnceUntilFailed<>(
        key -> session.underlying().thenCompose(s -> Statements.prepare(s, settings)));
    statements();
    this.queue = new WriteQueue<>(settings.writesInFlight(), settings.batchMaxWrites(), settings.batchMaxBytes(),
        settings.maxQueuedWrites(), this::send, context().dispatcher());
  }

  private CompletionStage<Statements> statements() {
    return statements.get("statements");
  }

  // ---- writes -------------------------------------------------------------------------------

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<AtomicWrite> writes = new ArrayList<>();
    messages.forEach(writes::add);
    if (!lease.allowsWrite()) {
      metrics.fencedWrites.labels("journal").inc(writes.size());
      return rejectAll(writes.size(), lease.refusal("journal write"));
    }
    List<Optional<Exception>> results = new ArrayList<>(writes.size());
    List<List<EventRow>> accepted = new ArrayList<>(writes.size());
    for (AtomicWrite write : writes) {
      try {
        accepted.add(rows(write));
        results.add(Optional.empty());
      } catch (IllegalArgumentException | java.io.NotSerializableException e) {
        // Rejected: nothing of this atomic write is written, the entity learns of it at once.
        results.add(Optional.of(e));
      } catch (RuntimeException e) {
        results.add(Optional.of(new IllegalArgumentException("event not serializable: " + e, e)));
      }
    }
    if (accepted.isEmpty()) {
      return akka.dispatch.Futures.successful(results);
    }
    String persistenceId = writes.get(0).persistenceId();
    List<EventRow> rows = new ArrayList<>();
    accepted.forEach(rows::addAll);
    CompletableFuture<Void> done = new CompletableFuture<>();
    inFlight.put(persistenceId, done);
    CompletionStage<Iterable<Optional<Exception>>> written = queue.submit(rows, requestBytes(rows))
        .thenApply(ignored -> (Iterable<Optional<Exception>>) results);
    written.whenComplete((ok, failure) -> {
      inFlight.remove(persistenceId, done);
      done.complete(null);
    });
    return FutureConverters.asScala(written);
  }

  /**
   * What a write adds to a request, as Cassandra's batch size counts it, estimated from above:
   * each row's event and a bound on its keys and columns, twice for a tagged event.
   */
  static int requestBytes(List<EventRow> rows) {
    int bytes = 0;
    for (EventRow e : rows) {
      int row = e.event().remaining() + ROW_OVERHEAD_BYTES + 2 * e.persistenceId().length();
      bytes += e.tag() == null ? row : 2 * row;
    }
    return bytes;
  }

  /** The last check of the node lease before Cassandra, then one request for the whole batch. */
  private CompletionStage<Void> send(List<List<EventRow>> batch) {
    if (!lease.allowsWrite()) {
      metrics.fencedWrites.labels("journal").inc(batch.size());
      return CompletableFuture.failedFuture(lease.refusal("journal write"));
    }
    requestWrites.inc(batch.size());
    return statements().thenCompose(s -> s.write(batch)).whenComplete((ok, failure) ->
        (failure == null ? requestsOk : requestsFailed).inc());
  }

  private static Future<Iterable<Optional<Exception>>> rejectAll(int n, Exception refusal) {
    List<Optional<Exception>> each = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      each.add(Optional.of(refusal));
    }
    return akka.dispatch.Futures.successful(each);
  }

  /** The rows of one atomic write, serialized; throws when it breaks a rule of this journal. */
  private List<EventRow> rows(AtomicWrite write) throws java.io.NotSerializableException {
    List<PersistentRepr> events = CollectionConverters.asJava(write.payload());
    if (events.size() > settings.maxEventsPerWrite()) {
      throw new IllegalArgumentException("an atomic write of " + events.size() + " events, more than "
          + settings.maxEventsPerWrite());
    }
    long partition = settings.partitionOf(events.get(events.size() - 1).sequenceNr());
    List<EventRow> rows = new ArrayList<>(events.size());
    for (PersistentRepr event : events) {
      if (event.metadata().isDefined()) {
        throw new IllegalArgumentException("event metadata is not supported by this journal");
      }
      Object payload = event.payload();
      String tag = null;
      if (payload instanceof Tagged tagged) {
        payload = tagged.payload();
        Set<String> tags = CollectionConverters.asJava(tagged.tags());
        if (tags.size() > 1) {
          throw new IllegalArgumentException("an event with " + tags.size() + " tags; this journal keeps one tag "
              + "per entity, so that the tag sequence number is the sequence number");
        }
        tag = tags.isEmpty() ? null : tags.iterator().next();
      }
      if (tag != null && !settings.tagsEnabled()) {
        throw new IllegalArgumentException("tagged event written to a journal without events by tag");
      }
      Serializer serializer = serialization.findSerializerFor(payload);
      if (serializer instanceof akka.serialization.AsyncSerializer) {
        throw new java.io.NotSerializableException("asynchronous serializers are not supported by this journal");
      }
      byte[] bytes = serializer.toBinary(payload);
      rows.add(new EventRow(event.persistenceId(), partition, event.sequenceNr(), event.writerUuid(),
          serializer.identifier(), Serializers.manifestFor(serializer, payload), event.manifest(),
          ByteBuffer.wrap(bytes), tag));
    }
    return rows;
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    // The ledger never deletes events (statements, audit and recon read them all), and the
    // one-read recovery above relies on it.
    return akka.dispatch.Futures.failed(new UnsupportedOperationException("events are never deleted from the ledger's journal"));
  }

  // ---- recovery -----------------------------------------------------------------------------

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    CompletableFuture<Void> pending = inFlight.get(persistenceId);
    CompletionStage<Void> after = pending == null ? CompletableFuture.completedFuture(null)
        : pending.exceptionally(ignored -> null);
    return FutureConverters.asScala(after.thenCompose(ignored -> statements())
        .thenCompose(s -> s.highestSequenceNr(persistenceId, Math.max(fromSequenceNr, 0))));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
                                            Consumer<PersistentRepr> replayCallback) {
    if (max <= 0 || toSequenceNr < fromSequenceNr) {
      return akka.dispatch.Futures.successful(null);
    }
    return FutureConverters.asScala(statements().thenCompose(s -> s.replay(persistenceId, Math.max(fromSequenceNr, 1),
        toSequenceNr, max, row -> replayCallback.accept(toRepr(row)))));
  }

  private PersistentRepr toRepr(Row row) {
    ByteBuffer buffer = row.getByteBuffer("event");
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    Object payload = serialization.deserialize(bytes, row.getInt("ser_id"), row.getString("ser_manifest")).get();
    String manifest = row.getString("event_manifest");
    return PersistentRepr.apply(payload, row.getLong("sequence_nr"), row.getString("persistence_id"),
            manifest == null ? PersistentRepr.Undefined() : manifest, false, ActorRef.noSender(),
            row.getString("writer_uuid"))
        .withTimestamp(Uuids.unixTimestamp(row.getUuid("timestamp")));
  }

  /**
   * One event's row as written to {@code messages} and, with a tag, to {@code tag_views}; its
   * timestamp is taken when its request is sent (Statements.write).
   */
  record EventRow(String persistenceId, long partition, long sequenceNr, String writerUuid,
                  int serializerId, String serializerManifest, String eventManifest, ByteBuffer event, String tag) {}

  /** The prepared statements, and the reads and writes made of them. */
  static final class Statements {
    private final CqlSession session;
    private final JournalSettings settings;
    private final PreparedStatement insertMessage;
    private final PreparedStatement insertTagRow;
    private final PreparedStatement selectHighest;
    private final PreparedStatement selectMessages;

    private Statements(CqlSession session, JournalSettings settings, PreparedStatement insertMessage,
                       PreparedStatement insertTagRow, PreparedStatement selectHighest,
                       PreparedStatement selectMessages) {
      this.session = session;
      this.settings = settings;
      this.insertMessage = insertMessage;
      this.insertTagRow = insertTagRow;
      this.selectHighest = selectHighest;
      this.selectMessages = selectMessages;
    }

    static CompletionStage<Statements> prepare(CqlSession session, JournalSettings settings) {
      String ks = settings.keyspace();
      CompletableFuture<PreparedStatement> message = session.prepareAsync("INSERT INTO " + ks + ".messages "
          + "(persistence_id, partition_nr, sequence_nr, timestamp, timebucket, writer_uuid, ser_id, ser_manifest, "
          + "event_manifest, event, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").toCompletableFuture();
      CompletableFuture<PreparedStatement> tagRow = session.prepareAsync("INSERT INTO " + ks + ".tag_views "
          + "(tag_name, timebucket, timestamp, tag_pid_sequence_nr, event, event_manifest, persistence_id, "
          + "sequence_nr, ser_id, ser_manifest, writer_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .toCompletableFuture();
      CompletableFuture<PreparedStatement> highest = session.prepareAsync("SELECT sequence_nr FROM " + ks
          + ".messages WHERE persistence_id = ? AND partition_nr = ? ORDER BY sequence_nr DESC LIMIT 1")
          .toCompletableFuture();
      CompletableFuture<PreparedStatement> select = session.prepareAsync("SELECT * FROM " + ks + ".messages "
          + "WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr >= ? AND sequence_nr <= ?")
          .toCompletableFuture();
      return CompletableFuture.allOf(message, tagRow, highest, select).thenApply(ignored ->
          new Statements(session, settings, message.join(), tagRow.join(), highest.join(), select.join()));
    }

    /**
     * One request for a batch of writes (each one entity's, in one partition of messages): a
     * single statement when that is all; an UNLOGGED batch when nothing is tagged (every
     * entity's rows are one partition, written atomically by itself); else a LOGGED batch, so
     * that no tag row is ever there without its event, nor the other way round.
     *
     * <p>Each event's timestamp (its position in events-by-tag) is taken here, as the request
     * goes out, not when the write was queued behind the one in flight: a tag row is then
     * invisible to the tag queries only for the request's own time, which
     * eventual-consistency-delay must cover. The clock's time-based UUIDs increase, and an
     * entity's next write is sent only after its last one was acknowledged, so an entity's
     * events still have increasing timestamps.
     */
    CompletionStage<Void> write(List<List<EventRow>> writes) {
      List<BoundStatement> statements = new ArrayList<>();
      List<BoundStatement> tagRows = new ArrayList<>();
      for (List<EventRow> write : writes) {
        for (EventRow e : write) {
          UUID timestamp = Uuids.timeBased();
          long bucket = settings.timeBucket(timestamp);
          statements.add(insertMessage.bind(e.persistenceId(), e.partition(), e.sequenceNr(), timestamp,
              Long.toString(bucket), e.writerUuid(), e.serializerId(), e.serializerManifest(), e.eventManifest(),
              e.event().duplicate(), e.tag() == null ? Set.of() : Set.of(e.tag())));
          if (e.tag() != null) {
            tagRows.add(insertTagRow.bind(e.tag(), bucket, timestamp, e.sequenceNr(), e.event().duplicate(),
                e.eventManifest(), e.persistenceId(), e.sequenceNr(), e.serializerId(), e.serializerManifest(),
                e.writerUuid()));
          }
        }
      }
      statements.addAll(tagRows);
      com.datastax.oss.driver.api.core.cql.Statement<?> request = statements.size() == 1 ? statements.get(0)
          : new BatchStatementBuilder(tagRows.isEmpty() ? BatchType.UNLOGGED : BatchType.LOGGED)
              .addStatements(statements.toArray(new BoundStatement[0])).build();
      return session.executeAsync(request.setExecutionProfileName(settings.profile())).thenApply(rs -> (Void) null);
    }

    /**
     * The highest sequence number from {@code from}'s partition on: partitions are read in
     * order until an empty one (no atomic write spans a whole partition, none is deleted).
     */
    CompletionStage<Long> highestSequenceNr(String persistenceId, long from) {
      return highestFrom(persistenceId, settings.partitionOf(Math.max(from, 1)), from, 0);
    }

    private CompletionStage<Long> highestFrom(String persistenceId, long partition, long highest, int read) {
      if (read >= settings.maxPartitionsPerRead()) {
        return CompletableFuture.failedFuture(new IllegalStateException("persistence id " + persistenceId
            + " spans more than " + read + " partitions from the one read first"));
      }
      return session.executeAsync(selectHighest.bind(persistenceId, partition)
              .setExecutionProfileName(settings.profile()))
          .thenCompose(rs -> {
            Row row = rs.one();
            if (row == null) {
              return CompletableFuture.completedFuture(highest);
            }
            return highestFrom(persistenceId, partition + 1, Math.max(highest, row.getLong("sequence_nr")), read + 1);
          });
    }

    /**
     * Every row from {@code from} to {@code to}, at most {@code max}, in order, page by page:
     * the partitions of {@code from} to {@code to}, and one more, since an atomic write that
     * crossed into the next partition was written there whole.
     */
    CompletionStage<Void> replay(String persistenceId, long from, long to, long max, Consumer<Row> each) {
      long[] state = {from, max};  // the next sequence number wanted, rows left
      return replayPartition(persistenceId, settings.partitionOf(from), settings.partitionOf(to) + 1, to, state, each);
    }

    private CompletionStage<Void> replayPartition(String persistenceId, long partition, long last, long to,
                                                  long[] state, Consumer<Row> each) {
      if (state[1] <= 0 || state[0] > to || partition > last) {
        return CompletableFuture.completedFuture(null);
      }
      return session.executeAsync(selectMessages.bind(persistenceId, partition, state[0], to)
              .setExecutionProfileName(settings.profile()))
          .thenCompose(rs -> pages(rs, state, each))
          .thenCompose(ignored -> replayPartition(persistenceId, partition + 1, last, to, state, each));
    }

    private static CompletionStage<Void> pages(AsyncResultSet rs, long[] state, Consumer<Row> each) {
      for (Row row : rs.currentPage()) {
        if (state[1] <= 0) {
          return CompletableFuture.completedFuture(null);
        }
        each.accept(row);
        state[0] = row.getLong("sequence_nr") + 1;
        state[1]--;
      }
      return rs.hasMorePages() && state[1] > 0 ? rs.fetchNextPage().thenCompose(next -> pages(next, state, each))
          : CompletableFuture.completedFuture(null);
    }
  }
}
