package ledger.query;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.stream.alpakka.cassandra.javadsl.CassandraSession;
import akka.stream.alpakka.cassandra.javadsl.CassandraSessionRegistry;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.ColumnDefinition;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.type.codec.registry.CodecRegistry;
import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import ledger.cassandra.OnceUntilFailed;
import ledger.query.QueryRows.AccountPage;
import ledger.query.QueryRows.AccountRow;
import ledger.query.QueryRows.AccountTransfer;
import ledger.query.QueryRows.Entry;
import ledger.query.QueryRows.PendingLegRow;
import ledger.query.QueryRows.Totals;

/**
 * The query tables in Cassandra (schema/ledger.cql). Every write is stamped with the account
 * version it comes from ({@code USING TIMESTAMP}), so that Cassandra keeps, cell by cell, the
 * value of the newest event: a redelivered or reordered event changes nothing.
 */
public final class QueryStore {
  /** The journal's profile: the query side reads and writes at the configured consistency. */
  private static final String PROFILE = "akka-persistence-cassandra-profile";
  static final String SESSION_CONFIG = "akka.persistence.cassandra";
  /** Every table of the query side, for rebuild. */
  public static final List<String> TABLES =
      List.of("account_entries", "account_transfers", "account_list", "pending_legs");

  private final ActorSystem<?> system;
  private final QuerySettings settings;
  private final String ks;
  /** Each CQL string prepared once, with its codecs; a failed prepare is made again at the next use. */
  private final OnceUntilFailed<String, Binder> prepared = new OnceUntilFailed<>(cql -> session().prepare(cql)
      .thenCombine(session().underlying(),
          (ps, cqlSession) -> Binder.of(ps, cqlSession.getContext().getCodecRegistry())));
  private volatile CassandraSession session;

  public QueryStore(ActorSystem<?> system, QuerySettings settings) {
    this.system = system;
    this.settings = settings;
    this.ks = settings.keyspace();
  }

  public QuerySettings settings() {
    return settings;
  }

  /** Created on first use: nodes without Cassandra (in-memory tests) never connect. */
  CassandraSession session() {
    CassandraSession s = session;
    if (s == null) {
      synchronized (this) {
        if (session == null) {
          session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG);
        }
        s = session;
      }
    }
    return s;
  }

  private CompletionStage<BoundStatement> bind(String cql, Object... values) {
    return prepared.get(cql).thenApply(binder -> binder.bind(values));
  }

  /**
   * A prepared statement with the codec of each of its variables, found once. Binding through
   * {@code PreparedStatement.bind(Object...)} looks up the codec of every value in the driver's
   * registry on every call (5 % of the node's CPU with the projections on); a value that its
   * variable's codec does not take is still looked up there.
   */
  private record Binder(PreparedStatement statement, List<TypeCodec<Object>> codecs, CodecRegistry registry) {
    static Binder of(PreparedStatement statement, CodecRegistry registry) {
      List<TypeCodec<Object>> codecs = new ArrayList<>();
      for (ColumnDefinition variable : statement.getVariableDefinitions()) {
        codecs.add(registry.codecFor(variable.getType()));
      }
      return new Binder(statement, codecs, registry);
    }

    BoundStatement bind(Object... values) {
      if (values.length != codecs.size()) {
        throw new IllegalArgumentException(values.length + " values for " + codecs.size() + " variables of "
            + statement.getQuery());
      }
      BoundStatementBuilder b = statement.boundStatementBuilder();
      for (int i = 0; i < values.length; i++) {
        Object v = values[i];
        if (v == null) {
          b = b.setToNull(i);
        } else {
          TypeCodec<Object> codec = codecs.get(i);
          b = b.set(i, v, codec.accepts(v) ? codec : registry.codecFor(codec.getCqlType(), v));
        }
      }
      return b.setExecutionProfileName(PROFILE).build();
    }
  }

  private CompletionStage<List<Row>> select(String cql, Object... values) {
    return bind(cql, values).thenCompose(st -> session().selectAll(st));
  }

  /** A read of a query: counted against its budget, and refused once the query has ended. */
  private CompletionStage<List<Row>> select(QueryBudget budget, String cql, Object... values) {
    try {
      budget.charge();
    } catch (QueryBudget.QueryCancelled ended) {
      return CompletableFuture.failedFuture(ended);
    }
    return select(cql, values).thenApply(rows -> {
      budget.rowsRead(rows.size());
      return rows;
    });
  }

  private CompletionStage<Optional<Row>> selectOne(String cql, Object... values) {
    return bind(cql, values).thenCompose(st -> session().selectOne(st));
  }

  /**
   * One row write of the query side, stamped ({@code USING TIMESTAMP}) with the account version
   * it comes from, so that Cassandra keeps, cell by cell, the value of the newest event.
   */
  public record RowWrite(String cql, List<Object> values) {}

  /** The writes in one round trip: one statement, or an unlogged batch (atomic per partition). */
  public CompletionStage<Done> execute(List<RowWrite> writes) {
    if (writes.isEmpty()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    List<CompletableFuture<BoundStatement>> bound = writes.stream()
        .map(w -> bind(w.cql(), w.values().toArray()).toCompletableFuture()).toList();
    return CompletableFuture.allOf(bound.toArray(CompletableFuture[]::new)).thenCompose(d -> {
      if (bound.size() == 1) {
        return session().executeWrite(bound.get(0).join());
      }
      BatchStatement batch = BatchStatement.newInstance(DefaultBatchType.UNLOGGED,
          bound.stream().map(CompletableFuture::join).toArray(BatchableStatement[]::new))
          .setExecutionProfileName(PROFILE);
      return session().executeWriteBatch(batch);
    });
  }

  /** Statements per request of {@link #executeAll}: partitions per batch stay under Cassandra's warning (130). */
  static final int CHUNK_STATEMENTS_MAX = 64;
  /** Estimated bytes per request of {@link #executeAll}, far below the batch fail threshold (50 KiB). */
  static final int CHUNK_BYTES_MAX = 24 * 1024;

  /**
   * Many writes in few round trips: unlogged batches of at most {@link #CHUNK_STATEMENTS_MAX}
   * statements and about {@link #CHUNK_BYTES_MAX} bytes (a larger statement goes alone), at most
   * {@code parallelism} at once. Each statement is atomic in its partition; no order holds
   * among them, so a caller that needs one row after another calls this twice.
   */
  public CompletionStage<Done> executeAll(List<RowWrite> writes, int parallelism) {
    return inLanes(chunks(writes), parallelism, this::execute);
  }

  /** {@code writes} in order, cut into the requests of {@link #executeAll}. */
  static List<List<RowWrite>> chunks(List<RowWrite> writes) {
    List<List<RowWrite>> chunks = new ArrayList<>();
    List<RowWrite> chunk = new ArrayList<>();
    long bytes = 0;
    for (RowWrite w : writes) {
      long size = estimatedBytes(w);
      if (!chunk.isEmpty() && (chunk.size() == CHUNK_STATEMENTS_MAX || bytes + size > CHUNK_BYTES_MAX)) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(w);
      bytes += size;
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
    return chunks;
  }

  /** A bound from above on what a write adds to a batch: text at 3 bytes a character, 16 for any other value. */
  static long estimatedBytes(RowWrite w) {
    long bytes = 64;
    for (Object v : w.values()) {
      bytes += estimatedBytes(v);
    }
    return bytes;
  }

  private static long estimatedBytes(Object v) {
    if (v instanceof CharSequence text) {
      return 4 + 3L * text.length();
    } else if (v instanceof Map<?, ?> map) {
      long bytes = 4;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        bytes += estimatedBytes(e.getKey()) + estimatedBytes(e.getValue());
      }
      return bytes;
    } else if (v instanceof java.nio.ByteBuffer buffer) {
      return 4 + buffer.remaining();
    }
    return 16;
  }

  /**
   * Runs {@code task} on every item, at most {@code parallelism} at once: item i in lane
   * i mod parallelism, each lane in list order. Done when all are; failed if any failed.
   */
  public static <T> CompletionStage<Done> inLanes(List<T> items, int parallelism,
                                                  java.util.function.Function<T, CompletionStage<?>> task) {
    List<CompletableFuture<?>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Math.min(parallelism, items.size()); lane++) {
      CompletionStage<?> chain = CompletableFuture.completedFuture(null);
      for (int i = lane; i < items.size(); i += parallelism) {
        T item = items.get(i);
        chain = chain.thenCompose(d -> task.apply(item));
      }
      lanes.add(chain.toCompletableFuture());
    }
    return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).thenApply(d -> Done.getInstance());
  }

  private static RowWrite stamped(String cql, Object... values) {
    return new RowWrite(cql, java.util.Arrays.asList(values));
  }

  // ---- row writes (AccountRows) ---------------------------------------------------------------

  public RowWrite entry(Entry e) {
    return stamped("INSERT INTO " + ks + ".account_entries (account_id, bucket, version, side, transfer_id, amount, "
            + "status, debits_posted, credits_posted, debits_pending, credits_pending, at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        e.accountId(), settings.versionBucket(e.version()), e.version(), e.side(), e.transferId(), e.amount(),
        e.status(), e.debitsPosted(), e.creditsPosted(), e.debitsPending(), e.creditsPending(), e.at(), e.version());
  }

  /** How a transfer ended on an account: the version and time of its post or void. */
  public record Finish(long version, String status, Long postedAmount, Instant at) {}

  /**
   * An account's row of a transfer prepared at {@code version}: pending, or with {@code finish}
   * (prepared and finished in one run) as it ends, in one write stamped with the finish's
   * version. No null is written (a null cell would be a tombstone).
   */
  public RowWrite accountTransfer(String accountId, long version, String transferId, long debit, long credit,
                                  Instant preparedAt, Instant deadline, Finish finish) {
    String columns = "INSERT INTO " + ks + ".account_transfers (account_id, bucket, prepared_version, transfer_id, "
        + "debit, credit, prepared_at, deadline, status, updated_version, updated_at";
    if (finish == null) {
      return stamped(columns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) USING TIMESTAMP ?",
          accountId, settings.versionBucket(version), version, transferId, debit, credit, preparedAt, deadline,
          version, preparedAt, version);
    }
    if (finish.postedAmount() == null) {
      return stamped(columns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
          accountId, settings.versionBucket(version), version, transferId, debit, credit, preparedAt, deadline,
          finish.status(), finish.version(), finish.at(), finish.version());
    }
    return stamped(columns + ", posted_amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        accountId, settings.versionBucket(version), version, transferId, debit, credit, preparedAt, deadline,
        finish.status(), finish.version(), finish.at(), finish.postedAmount(), finish.version());
  }

  /** The end of a transfer prepared in an earlier run: its row's status (no null written). */
  public RowWrite finishAccountTransfer(String accountId, long preparedVersion, String transferId, Finish finish) {
    String amount = finish.postedAmount() == null ? "" : "posted_amount = ?, ";
    List<Object> values = new ArrayList<>(List.of(finish.version(), finish.status()));
    if (finish.postedAmount() != null) {
      values.add(finish.postedAmount());
    }
    values.addAll(List.of(finish.version(), finish.at(), accountId, settings.versionBucket(preparedVersion),
        preparedVersion, transferId));
    return stamped("UPDATE " + ks + ".account_transfers USING TIMESTAMP ? SET status = ?, " + amount
        + "updated_version = ?, updated_at = ? WHERE account_id = ? AND bucket = ? AND prepared_version = ? "
        + "AND transfer_id = ?", values.toArray());
  }


  public RowWrite pendingLeg(long version, PendingLegRow r) {
    return stamped("INSERT INTO " + ks + ".pending_legs (due_hour, due_at, account_id, transfer_id, currency, debit, "
            + "credit) VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
        dueHour(r.dueAt()), r.dueAt(), r.accountId(), r.transferId(), r.currency(), r.debit(), r.credit(), version);
  }

  public RowWrite deletePendingLeg(long version, Instant dueAt, String accountId, String transferId) {
    return stamped("DELETE FROM " + ks + ".pending_legs USING TIMESTAMP ? WHERE due_hour = ? AND due_at = ? "
        + "AND account_id = ? AND transfer_id = ?", version, dueHour(dueAt), dueAt, accountId, transferId);
  }

  /** The listing row's columns set by events up to {@code version} (the version column among them). */
  public RowWrite listing(String accountId, long version, Map<String, Object> columns) {
    StringBuilder cql = new StringBuilder("UPDATE " + ks + ".account_list USING TIMESTAMP ? SET ");
    List<Object> values = new ArrayList<>();
    values.add(version);
    for (String column : LISTING_COLUMNS) {
      if (columns.containsKey(column)) {
        cql.append(values.size() > 1 ? ", " : "").append(column).append(" = ?");
        values.add(columns.get(column));
      }
    }
    if (columns.keySet().stream().anyMatch(c -> !LISTING_COLUMNS.contains(c))) {
      throw new IllegalArgumentException("not a listing column: " + columns.keySet());
    }
    cql.append(" WHERE bucket = ? AND account_id = ?");
    values.add(settings.listingBucket(accountId));
    values.add(accountId);
    return new RowWrite(cql.toString(), values);
  }

  /** The listing's columns in one fixed order, so that a set of columns always makes the same statement. */
  public static final List<String> LISTING_COLUMNS = List.of("currency", "status", "min_balance", "max_balance",
      "metadata", "debits_posted", "credits_posted", "debits_pending", "credits_pending", "version", "created_at",
      "updated_at");

  static long dueHour(Instant dueAt) {
    return dueAt.getEpochSecond() / 3600;
  }

  // ---- reads ------------------------------------------------------------------------------------

  private static final String ACCOUNT_COLUMNS = "account_id, currency, status, min_balance, max_balance, metadata, "
      + "debits_posted, credits_posted, debits_pending, credits_pending, version, created_at, updated_at";

  public CompletionStage<Optional<AccountRow>> account(String accountId) {
    return selectOne("SELECT " + ACCOUNT_COLUMNS + " FROM " + ks + ".account_list WHERE bucket = ? AND account_id = ?",
        settings.listingBucket(accountId), accountId)
        .thenApply(row -> row.filter(r -> !r.isNull("currency") && !r.isNull("created_at"))
            .map(QueryStore::accountRow));
  }

  /** The highest version of the account the query side has fully written (0 if none). */
  public CompletionStage<Long> projectedVersion(String accountId) {
    return selectOne("SELECT version FROM " + ks + ".account_list WHERE bucket = ? AND account_id = ?",
        settings.listingBucket(accountId), accountId)
        .thenApply(row -> row.map(r -> r.isNull("version") ? 0L : r.getLong("version")).orElse(0L));
  }

  /**
   * Accounts in id order after {@code after} and below {@code before} (null: no bound), filtered
   * by currency and status: a merge of the listing's hash buckets that reads each only as far as
   * the page needs ({@link ListingMerge}). A page may be short, with a next cursor, when the
   * budget's reads or rows run out first (a rare filter).
   */
  public CompletionStage<AccountPage> accounts(String currency, String status, String after, String before,
                                               int limit, QueryBudget budget) {
    return new ListingMerge(this, currency, status, after, before, limit, budget).page();
  }

  /** Up to {@code limit} rows of one listing bucket with {@code after < id < before} (null: no bound). */
  CompletionStage<List<AccountRow>> listingChunk(int bucket, String after, String before, int limit,
                                                 QueryBudget budget) {
    return before == null
        ? select(budget, "SELECT " + ACCOUNT_COLUMNS + " FROM " + ks + ".account_list WHERE bucket = ? "
            + "AND account_id > ? LIMIT ?", bucket, after, limit).thenApply(QueryStore::accountRows)
        : select(budget, "SELECT " + ACCOUNT_COLUMNS + " FROM " + ks + ".account_list WHERE bucket = ? "
            + "AND account_id > ? AND account_id < ? LIMIT ?", bucket, after, before, limit)
            .thenApply(QueryStore::accountRows);
  }

  private static List<AccountRow> accountRows(List<Row> rows) {
    return rows.stream().map(QueryStore::accountRow).toList();
  }

  private static final String ENTRY_COLUMNS = "account_id, version, side, transfer_id, amount, status, "
      + "debits_posted, credits_posted, debits_pending, credits_pending, at";

  /**
   * Statement entries with version > {@code afterVersion} up to {@code upTo}, at most {@code
   * limit} versions' worth (both sides of one version stay on one page). A walk over versions
   * without entries that spends the budget answers what it found, with {@code next} where it
   * stopped.
   */
  public CompletionStage<QueryRows.Page<Entry>> entries(String accountId, long afterVersion, long upTo, int limit,
                                                        QueryBudget budget) {
    if (afterVersion >= upTo) {
      return CompletableFuture.completedFuture(new QueryRows.Page<>(List.of(), null));
    }
    return entriesFrom(accountId, afterVersion, upTo, limit + 1, new ArrayList<>(), budget).thenApply(walked -> {
      List<Entry> rows = walked.rows();
      if (rows.size() <= limit) {
        return new QueryRows.Page<>(rows, walked.covered() >= upTo ? null : walked.covered());
      }
      long cut = rows.get(limit).version();
      List<Entry> page = new ArrayList<>(rows.subList(0, limit));
      if (page.get(page.size() - 1).version() == cut) {
        List<Entry> without = page.stream().filter(e -> e.version() != cut).toList();
        page = without.isEmpty() ? rows.stream().filter(e -> e.version() <= cut).toList() : new ArrayList<>(without);
      }
      return new QueryRows.Page<>(page, page.get(page.size() - 1).version());
    });
  }

  /** Entries found by a walk, and the version up to which it looked at every version. */
  private record Walked(List<Entry> rows, long covered) {}

  private CompletionStage<Walked> entriesFrom(String accountId, long after, long upTo, int want, List<Entry> acc,
                                              QueryBudget budget) {
    if (after >= upTo) {
      return CompletableFuture.completedFuture(new Walked(acc, upTo));
    }
    if (acc.size() >= want || budget.spent()) {
      return CompletableFuture.completedFuture(new Walked(acc, after));
    }
    long bucket = settings.versionBucket(after + 1);
    return select(budget, "SELECT " + ENTRY_COLUMNS + " FROM " + ks + ".account_entries WHERE account_id = ? "
        + "AND bucket = ? AND version > ? AND version <= ? LIMIT ?", accountId, bucket, after, upTo, want - acc.size())
        .thenCompose(rows -> {
          rows.forEach(r -> acc.add(entry(r)));
          return entriesFrom(accountId, settings.bucketEnd(bucket), upTo, want, acc, budget);
        });
  }

  /**
   * The latest entry at or before {@code at}: a binary search over the version buckets on each
   * bucket's first entry (entry times grow with versions), then one read of the bucket found.
   */
  public CompletionStage<Optional<Entry>> entryAt(String accountId, long upTo, Instant at, QueryBudget budget) {
    return new EntrySearch(accountId, at, budget).search(0, settings.versionBucket(upTo), -1);
  }

  /** One search of {@link #entryAt}. */
  private final class EntrySearch {
    private final String accountId;
    private final Instant at;
    private final QueryBudget budget;

    EntrySearch(String accountId, Instant at, QueryBudget budget) {
      this.accountId = accountId;
      this.at = at;
      this.budget = budget;
    }

    /** The answer is in bucket {@code best} (-1: none yet) or in a bucket of lo..hi. */
    CompletionStage<Optional<Entry>> search(long lo, long hi, long best) {
      if (lo > hi) {
        return best < 0 ? CompletableFuture.completedFuture(Optional.empty()) : lastInBucket(best);
      }
      long mid = lo + (hi - lo + 1) / 2;
      return firstEntryDown(mid, lo).thenCompose(found -> {
        if (found.isEmpty()) {
          return search(mid + 1, hi, best); // lo..mid hold no entry
        }
        long bucket = settings.versionBucket(found.get().version());
        return found.get().at().isAfter(at) ? search(lo, bucket - 1, best) : search(mid + 1, hi, bucket);
      });
    }

    /** The first entry of the highest bucket from {@code bucket} down to {@code floor} that has one. */
    private CompletionStage<Optional<Entry>> firstEntryDown(long bucket, long floor) {
      if (bucket < floor) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      if (budget.spent()) {
        return CompletableFuture.failedFuture(new QueryBudget.QueryCancelled(
            "the search of entries by time reached its bound of reads"));
      }
      return select(budget, "SELECT " + ENTRY_COLUMNS + " FROM " + ks + ".account_entries WHERE account_id = ? "
          + "AND bucket = ? LIMIT 1", accountId, bucket).thenCompose(first -> first.isEmpty()
              ? firstEntryDown(bucket - 1, floor)
              : CompletableFuture.completedFuture(Optional.of(entry(first.get(0)))));
    }

    private CompletionStage<Optional<Entry>> lastInBucket(long bucket) {
      return select(budget, "SELECT " + ENTRY_COLUMNS + " FROM " + ks + ".account_entries WHERE account_id = ? "
          + "AND bucket = ?", accountId, bucket).thenApply(rows -> {
            Entry best = null;
            for (Row r : rows) {
              Entry e = entry(r);
              if (!e.at().isAfter(at)) {
                best = e; // ascending version: the last one at or before `at` wins
              }
            }
            return Optional.ofNullable(best);
          });
    }
  }

  /**
   * Transfers touching the account, newest first, prepared before version {@code before} and at
   * or below {@code upTo} (the projected version: it bounds the buckets walked). {@code next} is
   * the {@code before} of the next page: set after a full page, or where a walk over versions
   * without transfers spent the budget; null at the end.
   */
  public CompletionStage<QueryRows.Page<AccountTransfer>> transfers(String accountId, long upTo, long before,
                                                                    int limit, QueryBudget budget) {
    long from = Math.min(upTo, before - 1);
    if (from < 0) {
      return CompletableFuture.completedFuture(new QueryRows.Page<>(List.of(), null));
    }
    return transfersFrom(accountId, from + 1, settings.versionBucket(from), limit, new ArrayList<>(), budget);
  }

  private CompletionStage<QueryRows.Page<AccountTransfer>> transfersFrom(String accountId, long before, long bucket,
                                                                         int want, List<AccountTransfer> acc,
                                                                         QueryBudget budget) {
    if (acc.size() >= want) {
      return CompletableFuture.completedFuture(new QueryRows.Page<>(acc, acc.get(acc.size() - 1).preparedVersion()));
    }
    if (bucket < 0) {
      return CompletableFuture.completedFuture(new QueryRows.Page<>(acc, null));
    }
    if (budget.spent()) {
      // Every transfer prepared at or above the start of the last bucket read is in acc.
      return CompletableFuture.completedFuture(new QueryRows.Page<>(acc, settings.bucketEnd(bucket) + 1));
    }
    return select(budget, "SELECT * FROM " + ks + ".account_transfers WHERE account_id = ? AND bucket = ? "
        + "AND prepared_version < ? LIMIT ?", accountId, bucket, before, want - acc.size()).thenCompose(rows -> {
          rows.forEach(r -> acc.add(accountTransfer(r)));
          return transfersFrom(accountId, before, bucket - 1, want, acc, budget);
        });
  }

  /** Pending-leg rows due from {@code since} to before {@code dueBefore}, in their hour buckets. */
  public CompletionStage<List<PendingLegRow>> pendingLegsDue(Instant since, Instant dueBefore) {
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    for (long h = dueHour(since); h <= dueHour(dueBefore); h++) {
      reads.add(select("SELECT * FROM " + ks + ".pending_legs WHERE due_hour = ? AND due_at >= ? AND due_at < ?", h,
          since, dueBefore).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(d -> reads.stream()
        .flatMap(r -> r.join().stream())
        .map(r -> new PendingLegRow(r.getInstant("due_at"), r.getString("account_id"), r.getString("transfer_id"),
            r.getString("currency"), r.getLong("debit"), r.getLong("credit")))
        .toList());
  }

  /** Of these pending-leg rows, the ones still stored, each read by its key, 64 at a time. */
  public CompletionStage<List<PendingLegRow>> pendingLegsStored(List<PendingLegRow> legs) {
    return pendingLegsStored(legs, 0, new ArrayList<>());
  }

  private CompletionStage<List<PendingLegRow>> pendingLegsStored(List<PendingLegRow> legs, int from,
                                                                 List<PendingLegRow> live) {
    if (from >= legs.size()) {
      return CompletableFuture.completedFuture(live);
    }
    List<PendingLegRow> part = legs.subList(from, Math.min(legs.size(), from + 64));
    List<CompletableFuture<Boolean>> reads = new ArrayList<>();
    for (PendingLegRow l : part) {
      reads.add(select("SELECT transfer_id FROM " + ks + ".pending_legs WHERE due_hour = ? AND due_at = ? "
          + "AND account_id = ? AND transfer_id = ?", dueHour(l.dueAt()), l.dueAt(), l.accountId(), l.transferId())
          .thenApply(rows -> !rows.isEmpty()).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(d -> {
      for (int i = 0; i < part.size(); i++) {
        if (reads.get(i).join()) {
          live.add(part.get(i));
        }
      }
      return pendingLegsStored(legs, from + part.size(), live);
    });
  }

  /**
   * The time up to which every tag of the projection {@code name} has saved its offset (the
   * oldest of their events-by-tag offsets); empty while a tag has saved none. The offset table
   * holds one row per projection and tag, so it is read whole.
   */
  public CompletionStage<Optional<Instant>> projectedTo(String name) {
    return select("SELECT projection_name, projection_key, offset, manifest FROM " + ks + ".offset_store")
        .thenApply(rows -> {
          Map<String, Instant> byTag = new HashMap<>();
          for (Row r : rows) {
            if (name.equals(r.getString("projection_name")) && "TBU".equals(r.getString("manifest"))) {
              byTag.put(r.getString("projection_key"), uuidTime(UUID.fromString(r.getString("offset"))));
            }
          }
          if (byTag.size() < settings.tagCount()) {
            return Optional.empty();
          }
          return byTag.values().stream().min(Instant::compareTo);
        });
  }

  /** The time of a version-1 (time-based) UUID: 100 ns units since 1582-10-15. */
  static Instant uuidTime(UUID u) {
    long sinceUnixEpoch = u.timestamp() - 0x01B21DD213814000L;
    return Instant.ofEpochSecond(Math.floorDiv(sinceUnixEpoch, 10_000_000L),
        Math.floorMod(sinceUnixEpoch, 10_000_000L) * 100);
  }

  /**
   * S1 inputs: per currency, the sums of every account's latest counters, read from the listing
   * rows (which carry them; a row without a currency is an account whose creation is not yet
   * projected).
   */
  public CompletionStage<List<Totals>> totals() {
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    for (int b = 0; b < settings.listingBuckets(); b++) {
      reads.add(select("SELECT currency, debits_posted, credits_posted, debits_pending, credits_pending FROM " + ks
          + ".account_list WHERE bucket = ?", b).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(d -> {
      Map<String, BigInteger[]> sums = new HashMap<>();
      Map<String, Long> counts = new HashMap<>();
      for (CompletableFuture<List<Row>> read : reads) {
        for (Row r : read.join()) {
          if (r.isNull("currency")) {
            continue;
          }
          BigInteger[] s = sums.computeIfAbsent(r.getString("currency"),
              c -> new BigInteger[] {BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO});
          for (int i = 0; i < 4; i++) {
            s[i] = s[i].add(BigInteger.valueOf(r.getLong(i + 1)));
          }
          counts.merge(r.getString("currency"), 1L, Long::sum);
        }
      }
      return sums.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .map(e -> new Totals(e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2], e.getValue()[3],
              counts.get(e.getKey())))
          .toList();
    });
  }

  /** Up to {@code limit} listing rows of one hash bucket after {@code after} (recon sampling, full scans). */
  public CompletionStage<List<AccountRow>> accountsInBucket(int bucket, String after, int limit) {
    return select("SELECT " + ACCOUNT_COLUMNS + " FROM " + ks + ".account_list WHERE bucket = ? AND account_id > ? "
        + "LIMIT ?", bucket, after, limit)
        .thenApply(rows -> rows.stream().map(QueryStore::accountRow).filter(a -> a.currency() != null).toList());
  }

  // ---- row mapping --------------------------------------------------------------------------------

  private static AccountRow accountRow(Row r) {
    return new AccountRow(r.getString("account_id"), r.getString("currency"), r.getString("status"),
        nullableLong(r, "min_balance"), nullableLong(r, "max_balance"),
        r.isNull("metadata") ? Map.of() : r.getMap("metadata", String.class, String.class),
        r.getLong("debits_posted"), r.getLong("credits_posted"), r.getLong("debits_pending"),
        r.getLong("credits_pending"), r.getLong("version"), r.getInstant("created_at"), r.getInstant("updated_at"));
  }

  private static Entry entry(Row r) {
    return new Entry(r.getString("account_id"), r.getLong("version"), r.getString("side"), r.getString("transfer_id"),
        r.getLong("amount"), r.getString("status"), nullableLong(r, "debits_posted"),
        nullableLong(r, "credits_posted"), nullableLong(r, "debits_pending"), nullableLong(r, "credits_pending"),
        r.getInstant("at"));
  }

  private static AccountTransfer accountTransfer(Row r) {
    return new AccountTransfer(r.getString("account_id"), r.getLong("prepared_version"), r.getString("transfer_id"),
        r.getLong("debit"), r.getLong("credit"), nullableLong(r, "posted_amount"), r.getString("status"),
        r.getInstant("prepared_at"), r.getInstant("deadline"), r.getLong("updated_version"),
        r.getInstant("updated_at"));
  }

  private static Long nullableLong(Row r, String column) {
    return r.isNull(column) ? null : r.getLong(column);
  }

  /** A time as Cassandra stores it: to the millisecond. */
  public static Instant millis(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MILLIS);
  }
}
