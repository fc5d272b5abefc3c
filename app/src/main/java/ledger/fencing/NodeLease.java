package ledger.fencing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node incarnation's lease on the right to write to the journal, and the fence that keeps
 * a dead or cut-off incarnation from writing once its shards have moved (docs/design.md
 * "Fencing").
 *
 * <p>One row per incarnation in {@code node_leases}: its epoch counts renewals, and -1 means
 * revoked (by a taker) or released (by the holder on a graceful exit). The holder renews every
 * {@code renew-interval} with a compare-and-set {@code epoch = e -> e+1}, and may write until
 * {@code send time of its last applied renewal + duration - write-window}, on its own monotonic
 * clock. Every node reads the table every interval and notes, on its own monotonic clock, when
 * it first saw each row's current epoch. A row whose node is not a live member (unreachable,
 * Down, removed, or unknown) and whose epoch has not moved for {@code duration} since then is revoked with a
 * compare-and-set {@code epoch = e -> -1}. Why no write of the old incarnation lands after the
 * revocation: the renewal that wrote {@code e} was sent before it was seen, so its holder
 * stopped starting writes {@code write-window} before the revocation; any later renewal
 * changed the epoch and makes the revocation fail (the taker waits again); after it, every
 * renewal fails. No wall clock is compared between machines; only the two monotonic clocks'
 * rates must agree, and a write may take at most {@code write-window} from the check to
 * Cassandra. A write that lingers longer is the one case left to the replay filter, which fails
 * the recovery loudly (second_writer) instead of hiding it.
 *
 * <p>A shard (and a singleton) starts only once no such row is left unrevoked, seen by a read
 * that began after it asked ({@link #awaitFenced}), and the journal and snapshot store refuse
 * every write while this node does not hold its lease ({@link #allowsWrite}).
 *
 * <p>Thread-safe: the scheduler's ticks, the table's callbacks and the journal's checks meet
 * here; the check itself reads one volatile field.
 */
public final class NodeLease {
  private static final Logger log = LoggerFactory.getLogger(NodeLease.class);
  /** The epoch of a revoked or released lease. */
  public static final long REVOKED = -1;

  /** The node_leases table, as the lease needs it. */
  public interface Table {
    /** Inserts a row at epoch 0 if there is none; the epoch found otherwise (null: none read). */
    CompletionStage<Cas> insert(String node);

    /** Sets the epoch to {@code to} if it is {@code from}; the epoch found otherwise (null: no row). */
    CompletionStage<Cas> advance(String node, long from, long to);

    /** Every row: node to epoch. */
    CompletionStage<Map<String, Long>> readAll();
  }

  public record Cas(boolean applied, Long current) {}

  /** Settings of ledger.fencing (application.conf says what each is for). */
  public record Settings(boolean enabled, Duration duration, Duration writeWindow, Duration renewInterval,
                         Duration acquireTimeout) {
    public Settings {
      if (enabled && (writeWindow.compareTo(duration) >= 0 || renewInterval.multipliedBy(2)
          .compareTo(duration.minus(writeWindow)) > 0)) {
        throw new IllegalArgumentException("ledger.fencing: write-window must be below duration, and two "
            + "renew-intervals must fit in duration - write-window (the time a holder may write after a renewal)");
      }
    }

    public static Settings fromConfig(com.typesafe.config.Config config) {
      com.typesafe.config.Config c = config.getConfig("ledger.fencing");
      return new Settings(c.getBoolean("enabled"), c.getDuration("duration"), c.getDuration("write-window"),
          c.getDuration("renew-interval"), c.getDuration("acquire-timeout"));
    }
  }

  /** A write refused because this node incarnation does not hold its lease. */
  public static final class Fenced extends RuntimeException {
    public Fenced(String message) {
      super(message, null, false, false);
    }
  }

  private record Seen(long epoch, long since) {}

  /** {@code readsBefore}: reads begun before it asked; only a later one may answer it. */
  private record Waiter(CompletableFuture<Boolean> result, long readsBefore, long deadline) {}

  private final String self;
  private final Settings settings;
  private final Table table;
  private final LongSupplier nanos;
  /** Node ids of the members that are neither Down, removed nor unreachable, as this node sees them now. */
  private final Supplier<Set<String>> liveMembers;
  private final Set<Consumer<Optional<Throwable>>> lostListeners = new CopyOnWriteArraySet<>();

  /** Until when (nanos) this node may start a journal write, while {@link #holding}. */
  private volatile long writableUntil;
  /**
   * Taken and not ended (nanos values are compared only by difference, so no sentinel value):
   * written under the lock, read without it by the journal's check.
   */
  private volatile boolean holding;
  private long epoch = REVOKED;
  private boolean wanted;
  private boolean taking;
  /** Down, revoked or released: this incarnation never writes again. */
  private boolean ended;
  private boolean renewalInFlight;
  /** Renewals held back, as in a long pause of this process (tests only: {@link #pauseRenewals}). */
  private boolean paused;
  private boolean readInFlight;
  /** Reads of the table begun so far, and the number of the latest one that has completed. */
  private long readsBegun;
  private long lastReadDone;
  private final Map<String, Seen> seen = new HashMap<>();
  private final Set<String> revoking = new HashSet<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Runnable onRevoked;

  /**
   * @param onRevoked run once if this incarnation finds its own lease revoked (another node took
   *     over while it was cut off): the node then leaves, as it can never write again
   */
  public NodeLease(String self, Settings settings, Table table, LongSupplier nanos,
                   Supplier<Set<String>> liveMembers, Runnable onRevoked) {
    this.self = self;
    this.settings = settings;
    this.table = table;
    this.nanos = nanos;
    this.liveMembers = liveMembers;
    this.onRevoked = onRevoked;
  }

  public String self() {
    return self;
  }

  public Settings settings() {
    return settings;
  }

  /** True while this node may start a journal or snapshot write (always, with fencing off). */
  public boolean allowsWrite() {
    return !settings.enabled() || holds();
  }

  /** Whether this incarnation holds its lease now. */
  public boolean holds() {
    return holding && nanos.getAsLong() - writableUntil < 0;
  }

  /** The refusal of {@code what} (a journal write, a snapshot save...) while this node holds no lease. */
  public Fenced refusal(String what) {
    return new Fenced(what + " refused: node " + self
        + " does not hold its node lease (cut off from Cassandra, downed, or fenced by another node)");
  }

  /** Takes this incarnation's lease (once the node is Up): one row, epoch 0. */
  public synchronized void take() {
    wanted = true;
    if (!settings.enabled() || taking || holding || ended) {
      return;
    }
    taking = true;
    long sent = nanos.getAsLong();
    table.insert(self).whenComplete((cas, failure) -> taken(sent, cas, failure));
  }

  private synchronized void taken(long sent, Cas cas, Throwable failure) {
    taking = false;
    if (ended) {
      return;
    }
    if (failure != null || (!cas.applied() && cas.current() == null)) {
      log.warn("node lease {} not taken ({}); retrying", self, failure != null ? failure.toString() : "no answer");
      return;
    }
    writableUntil = sent;
    holding = true;
    if (cas.applied()) {
      epoch = 0;
      extend(sent);
      log.info("node lease {} taken", self);
    } else if (cas.current() == REVOKED) {
      revoked();
      return;
    } else {
      // The row is ours (ids are per incarnation): an earlier insert timed out here but applied
      // there. When it was sent is unknown, so no write until the next renewal applies.
      epoch = cas.current();
      log.info("node lease {} taken (an earlier attempt had applied)", self);
    }
    settle();
  }

  /** One beat: renews this node's lease, reads the table, revokes what is due, answers waiters. */
  public synchronized void tick() {
    if (!settings.enabled()) {
      return;
    }
    if (wanted) {
      take();
    }
    if (holding && !renewalInFlight && !paused) {
      renewalInFlight = true;
      long sent = nanos.getAsLong();
      long from = epoch;
      table.advance(self, from, from + 1).whenComplete((cas, failure) -> renewed(sent, from, cas, failure));
    }
    read();
    settle();
  }

  private synchronized void renewed(long sent, long from, Cas cas, Throwable failure) {
    renewalInFlight = false;
    if (ended || failure != null) {
      // A timed-out renewal may still apply; the next one then finds the newer epoch and adopts it.
      return;
    }
    if (cas.applied()) {
      epoch = from + 1;
      extend(sent);
    } else if (cas.current() == null || cas.current() == REVOKED) {
      revoked();
    } else {
      // Our own earlier renewal, timed out here but applied there: only this node renews its row.
      epoch = cas.current();
    }
  }

  private void extend(long sent) {
    long until = sent + settings.duration().minus(settings.writeWindow()).toNanos();
    if (until - writableUntil > 0) {
      writableUntil = until;
    }
  }

  private void revoked() {
    log.error("node lease {} was revoked: another node took over this node's shards while it was cut off. "
        + "It writes nothing more and leaves the cluster.", self);
    end();
    onRevoked.run();
  }

  /**
   * This node was downed: it writes nothing more from now on, and its lease is left to lapse
   * (not released: entity writes may still be on their way). Shards and singletons are told
   * their lease is lost.
   */
  public synchronized void downed() {
    if (!ended && settings.enabled()) {
      log.warn("node {} is down: no more journal writes; its lease lapses", self);
      end();
    }
  }

  private void end() {
    ended = true;
    holding = false;
    failWaiters();
    Fenced lost = new Fenced("node lease of " + self + " ended");
    lostListeners.forEach(l -> l.accept(Optional.of(lost)));
  }

  /**
   * Gives the lease back on a graceful exit, once every shard here has stopped: other nodes
   * need not wait for it to lapse.
   */
  public CompletionStage<Boolean> release() {
    long from;
    synchronized (this) {
      if (!holding) {
        return CompletableFuture.completedFuture(false);
      }
      from = epoch;
      ended = true;
      holding = false;
      failWaiters();
    }
    // A renewal in flight may move the epoch first: then the lease simply lapses.
    return table.advance(self, from, REVOKED).thenApply(Cas::applied);
  }

  /**
   * Completes true once this node holds its lease and a read of the table begun after this call
   * found no row of a node that is not a live member left unrevoked; false after
   * acquire-timeout (the caller asks again).
   */
  public CompletionStage<Boolean> awaitFenced() {
    if (!settings.enabled()) {
      return CompletableFuture.completedFuture(true);
    }
    synchronized (this) {
      if (ended) {
        return CompletableFuture.completedFuture(false);
      }
      long now = nanos.getAsLong();
      Waiter w = new Waiter(new CompletableFuture<>(), readsBegun, now + settings.acquireTimeout().toNanos());
      waiters.add(w);
      read();
      return w.result();
    }
  }

  /**
   * Holds back (or lets go again) this node's renewals while everything else runs, as a long
   * pause of the renewing thread would: for tests of what the fence does to such a node.
   */
  synchronized void pauseRenewals(boolean pause) {
    paused = pause;
  }

  public void addLostListener(Consumer<Optional<Throwable>> listener) {
    lostListeners.add(listener);
  }

  public void removeLostListener(Consumer<Optional<Throwable>> listener) {
    lostListeners.remove(listener);
  }

  private void read() {
    if (readInFlight) {
      return;
    }
    readInFlight = true;
    long number = ++readsBegun;
    table.readAll().whenComplete((rows, failure) -> readDone(number, rows, failure));
  }

  private synchronized void readDone(long number, Map<String, Long> rows, Throwable failure) {
    readInFlight = false;
    if (failure != null) {
      log.debug("node_leases read failed: {}", failure.toString());
      return;
    }
    // Each epoch counts from when it was first seen here: the renewal that wrote it was sent
    // earlier, so its holder's writes ended at least write-window before since + duration.
    long done = nanos.getAsLong();
    seen.keySet().retainAll(rows.keySet());
    rows.forEach((node, e) -> {
      Seen before = seen.get(node);
      if (before == null || before.epoch() != e) {
        seen.put(node, new Seen(e, done));
      }
    });
    lastReadDone = number;
    settle();
    // Someone asked while this read was on its way: read again for them at once.
    if (waiters.stream().anyMatch(w -> w.readsBefore() >= number)) {
      read();
    }
  }

  /** Revokes every lapsed lease of a node that is not a live member; answers the waiters it can. */
  private synchronized void settle() {
    long now = nanos.getAsLong();
    List<String> unfenced = unfenced();
    for (String node : unfenced) {
      Seen s = seen.get(node);
      if (now - (s.since() + settings.duration().toNanos()) >= 0 && revoking.add(node)) {
        long e = s.epoch();
        table.advance(node, e, REVOKED).whenComplete((cas, failure) -> revokeDone(node, e, cas, failure));
      }
    }
    if (waiters.isEmpty()) {
      return;
    }
    boolean ready = unfenced.isEmpty() && holds();
    for (var it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (ready && lastReadDone > w.readsBefore()) {
        w.result().complete(true);
        it.remove();
      } else if (now - w.deadline() >= 0) {
        log.warn("shard start still waits for the fence after {} (own lease held: {}; nodes not yet fenced: {})",
            settings.acquireTimeout(), holds(), unfenced);
        w.result().complete(false);
        it.remove();
      }
    }
  }

  private List<String> unfenced() {
    Set<String> live = liveMembers.get();
    List<String> out = new ArrayList<>();
    seen.forEach((node, s) -> {
      if (s.epoch() != REVOKED && !node.equals(self) && !live.contains(node)) {
        out.add(node);
      }
    });
    return out;
  }

  private synchronized void revokeDone(String node, long from, Cas cas, Throwable failure) {
    revoking.remove(node);
    if (failure != null) {
      log.warn("revoking the lease of {} failed ({}); retrying", node, failure.toString());
      return;
    }
    long now = nanos.getAsLong();
    if (cas.applied() || (cas.current() != null && cas.current() == REVOKED)) {
      if (cas.applied()) {
        log.warn("lease of node [{}] revoked at epoch {}: its shards may start elsewhere", node, from);
      }
      seen.put(node, new Seen(REVOKED, now));
    } else if (cas.current() == null) {
      seen.remove(node);
    } else {
      // It renewed meanwhile: alive after all; wait a whole duration from now.
      seen.put(node, new Seen(cas.current(), now));
    }
    settle();
  }

  private void failWaiters() {
    waiters.forEach(w -> w.result().complete(false));
    waiters.clear();
  }
}
