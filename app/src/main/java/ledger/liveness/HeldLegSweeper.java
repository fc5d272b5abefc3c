package ledger.liveness;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.SingletonActor;
import akka.cluster.typed.Subscribe;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import ledger.core.CborSerializable;
import ledger.metrics.Metrics;
import ledger.query.QueryRows.PendingLegRow;
import ledger.query.QueryStore;

/**
 * Restarts the accounts that hold pending legs, so that accounts need not be remembered
 * entities (S6 without remember-entities). A cluster singleton; it reads the query side's
 * {@code pending_legs} rows and sends each account found a {@code CheckPending}, which starts
 * the account if it is not running (it then asks the coordinators of its overdue legs, as it
 * always does). Waking a running account costs one message and changes nothing.
 *
 * <p>When it reads:
 * <ul>
 *   <li>every {@code interval}, the rows that became due since its last read, less
 *       {@code lag-allowance} (a row the projection writes late is read on a later pass);</li>
 *   <li>a full read, in chunks, newest first, when the singleton starts, when a member joins or
 *       leaves (its shards move and their accounts stop) and again {@code after-change} later
 *       (a rebalance stops accounts some seconds after a join), and every {@code full-interval}
 *       as a backstop. The first full read, and one every {@code complete-interval}, reads the
 *       whole {@code lookback} (two-phase holds may be pending 30 days). The others read only
 *       from a floor up, and read again by key the rows below it that the last read found
 *       (carried rows): released legs leave tombstones, and a full read must not go through
 *       every tombstone of the lookback each time. The floor is the time up to which every
 *       account projection had saved its offset when the last full read began, less
 *       {@code after-change}: a row written after that read began comes from an event the
 *       projection had not yet reached, and a leg's due time is after its event, so the row is
 *       due above the floor. A read that skipped a chunk, a projection without an offset, or
 *       more than {@code carried-max} carried rows make the next full read complete;</li>
 *   <li>after a start or membership change, for {@code after-change}, every pass also re-reads
 *       the rows due from {@code after-change} before it: the projection of a dead node restarts
 *       elsewhere and may write the legs held at the crash after the full read has passed them.</li>
 * </ul>
 * Reads and wakes are bounded: one read at a time, a full read reads its next chunk only when
 * the queue of accounts to wake is short, and at most {@code wake-rate} accounts are woken per
 * second (a failover must not start thousands of recoveries at once).
 */
public final class HeldLegSweeper extends AbstractBehavior<HeldLegSweeper.Command> {

  public sealed interface Command extends CborSerializable {}

  private record Pass() implements Command {}

  private record FullPass() implements Command {}

  private record WakeTick() implements Command {}

  private record MembersChanged() implements Command {}

  /** What a member joining or leaving sends (tests send it themselves). */
  static Command membersChanged() {
    return new MembersChanged();
  }

  private record Read(boolean full, Instant from, Instant to, List<PendingLegRow> rows, Throwable failure)
      implements Command {}

  private record FloorRead(Instant start, Optional<Instant> projectedTo, Throwable failure) implements Command {}

  private record CarriedRead(List<PendingLegRow> live, Throwable failure) implements Command {}

  /** Where the pending-leg rows come from (QueryStore). */
  public interface Rows {
    /** The rows due in [from, to). */
    CompletionStage<List<PendingLegRow>> due(Instant from, Instant to);

    /** Of these rows, the ones still stored, each read by its key. */
    CompletionStage<List<PendingLegRow>> stillStored(List<PendingLegRow> rows);

    /** The time up to which every account projection has saved its offset; empty if one has none. */
    CompletionStage<Optional<Instant>> projectedTo();

    static Rows of(QueryStore store, String projectionName) {
      return new Rows() {
        @Override
        public CompletionStage<List<PendingLegRow>> due(Instant from, Instant to) {
          return store.pendingLegsDue(from, to);
        }

        @Override
        public CompletionStage<List<PendingLegRow>> stillStored(List<PendingLegRow> rows) {
          return store.pendingLegsStored(rows);
        }

        @Override
        public CompletionStage<Optional<Instant>> projectedTo() {
          return store.projectedTo(projectionName);
        }
      };
    }
  }

  public record Settings(Duration interval, Duration lagAllowance, Duration fullInterval, Duration afterChange,
                         Duration completeInterval, Duration lookback, Duration chunk, int wakeRate, int queueMax,
                         int carriedMax) {
    public Settings {
      if (interval.isNegative() || interval.isZero() || chunk.isZero() || chunk.isNegative() || wakeRate < 10
          || queueMax < 1 || carriedMax < 0) {
        throw new IllegalArgumentException("ledger.liveness.sweeper: interval and chunk must be positive, "
            + "wake-rate at least 10, queue-max at least 1, carried-max not negative");
      }
    }

    public static Settings fromConfig(com.typesafe.config.Config root) {
      var c = root.getConfig("ledger.liveness.sweeper");
      return new Settings(c.getDuration("interval"), c.getDuration("lag-allowance"), c.getDuration("full-interval"),
          c.getDuration("after-change"), c.getDuration("complete-interval"), c.getDuration("lookback"),
          c.getDuration("chunk"), c.getInt("wake-rate"), c.getInt("queue-max"), c.getInt("carried-max"));
    }
  }

  public static void init(akka.actor.typed.ActorSystem<?> system, Rows rows, Consumer<String> wake,
                          Settings settings) {
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(create(rows, wake, settings, Clock.systemUTC(), true))
            .onFailure(SupervisorStrategy.restart()), "held-leg-sweeper"));
  }

  /** {@code watchMembers}: off in tests without a cluster. */
  static Behavior<Command> create(Rows rows, Consumer<String> wake, Settings settings, Clock clock,
                                  boolean watchMembers) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (watchMembers) {
        // Joined or removed (a crash ends in removal): shards have moved and their accounts stopped.
        ActorRef<ClusterEvent.MemberUp> up = ctx.messageAdapter(ClusterEvent.MemberUp.class, e -> new MembersChanged());
        ActorRef<ClusterEvent.MemberRemoved> removed =
            ctx.messageAdapter(ClusterEvent.MemberRemoved.class, e -> new MembersChanged());
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(up, ClusterEvent.MemberUp.class));
        Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
      }
      timers.startTimerWithFixedDelay(new Pass(), settings.interval());
      timers.startTimerWithFixedDelay(new FullPass(), settings.fullInterval());
      timers.startTimerWithFixedDelay(new WakeTick(), WAKE_TICK);
      return new HeldLegSweeper(ctx, timers, rows, wake, settings, clock);
    }));
  }

  private static final Duration WAKE_TICK = Duration.ofMillis(100);
  private static final String AFTER_CHANGE_TIMER = "after-change";
  /** Failed reads of one chunk of a full read before it goes on without it. */
  static final int CHUNK_ATTEMPTS = 5;

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Rows rows;
  private final Consumer<String> wake;
  private final Settings settings;
  private final Clock clock;
  private final Metrics metrics;
  /** Accounts to wake, in the order found, each once. */
  private final LinkedHashSet<String> queue = new LinkedHashSet<>();
  private boolean reading;
  /** The end of the last incremental read; null before the first. */
  private Instant readTo;
  /**
   * A full read in progress goes from now back to {@code fullFrom}, newest first (a crash's legs
   * are the recent ones); {@code fullTo} is the end of its next chunk (null: no full read).
   */
  private Instant fullFrom;
  private Instant fullTo;
  private boolean fullStarting;
  private boolean fullAgain;
  private int chunkFailures;
  /** Where full reads start (the floor) and the rows below it they read by key. */
  private final PendingLegFloor floor;
  /** The full read in progress (null: none). */
  private PendingLegFloor.Read full;
  /** After a membership change: passes re-read from here until {@code pinnedUntil}. */
  private Instant pinnedFrom;
  private Instant pinnedUntil;

  private HeldLegSweeper(ActorContext<Command> ctx, TimerScheduler<Command> timers, Rows rows,
                         Consumer<String> wake, Settings settings, Clock clock) {
    super(ctx);
    this.ctx = ctx;
    this.timers = timers;
    this.rows = rows;
    this.wake = wake;
    this.settings = settings;
    this.clock = clock;
    this.metrics = Metrics.get(ctx.getSystem());
    this.floor = new PendingLegFloor(settings.afterChange(), settings.completeInterval(), settings.lookback(),
        settings.carriedMax());
    changed(); // a new singleton: its node, or the whole cluster, may have just restarted
  }

  /**
   * Read everything, and for {@code after-change} let passes re-read the rows due since
   * {@code after-change} before now: a restarted projection writes the legs held at a crash
   * late, possibly after the full read has passed them.
   */
  private void changed() {
    Instant now = clock.instant();
    pinnedFrom = now.minus(settings.afterChange());
    pinnedUntil = now.plus(settings.afterChange());
    startFull();
    // And once more at its end: shards handed off to a joining member (rebalance) stop their
    // accounts some seconds after the change, and a projection may be minutes late.
    timers.startSingleTimer(AFTER_CHANGE_TIMER, new FullPass(), settings.afterChange());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Pass.class, p -> pass())
        .onMessage(FullPass.class, p -> {
          startFull();
          return this;
        })
        .onMessage(MembersChanged.class, m -> {
          changed();
          return this;
        })
        .onMessage(WakeTick.class, t -> wakeSome())
        .onMessage(Read.class, this::read)
        .onMessage(FloorRead.class, this::floorRead)
        .onMessage(CarriedRead.class, this::carriedRead)
        .build();
  }

  /** A full read begins with the projections' progress, which gives the floor it will set. */
  private void startFull() {
    if (fullTo != null || fullStarting) {
      fullAgain = true; // the running one may have passed the rows this change concerns
      return;
    }
    fullStarting = true;
    Instant start = clock.instant();
    ctx.pipeToSelf(rows.projectedTo(), (t, e) -> new FloorRead(start, t, e));
  }

  private Behavior<Command> floorRead(FloorRead r) {
    fullStarting = false;
    if (r.failure() != null) {
      ctx.getLog().warn("reading the projections' offsets failed: {}; this full read reads the whole lookback",
          r.failure().toString());
    }
    full = floor.begin(r.start(), r.failure() == null ? r.projectedTo() : null);
    fullFrom = full.from();
    fullTo = full.start();
    readFullChunk();
    return this;
  }

  private Behavior<Command> pass() {
    if (reading) {
      return this;
    }
    Instant now = clock.instant();
    Instant from = readTo == null ? now.minus(settings.lagAllowance()) : readTo.minus(settings.lagAllowance());
    if (pinnedUntil != null && now.isBefore(pinnedUntil) && pinnedFrom.isBefore(from)) {
      from = pinnedFrom;
    }
    startRead(false, from, now);
    return this;
  }

  private Behavior<Command> wakeSome() {
    int n = Math.max(1, (int) (settings.wakeRate() * WAKE_TICK.toMillis() / 1000));
    Iterator<String> it = queue.iterator();
    for (int i = 0; i < n && it.hasNext(); i++) {
      wake.accept(it.next());
      it.remove();
      metrics.heldLegWakes.inc();
    }
    readFullChunk();
    return this;
  }

  /** The next chunk of the full read in progress, if no read is and the queue is short. */
  private void readFullChunk() {
    if (fullTo != null && !reading && queue.size() <= settings.queueMax() / 2) {
      Instant from = fullTo.minus(settings.chunk());
      startRead(true, from.isBefore(fullFrom) ? fullFrom : from, fullTo);
    }
  }

  private void startRead(boolean full, Instant from, Instant to) {
    reading = true;
    ctx.pipeToSelf(rows.due(from, to), (r, e) -> new Read(full, from, to, r, e));
  }

  private Behavior<Command> read(Read r) {
    reading = false;
    if (r.failure() != null) {
      // Read again on the next pass or tick: a full read retries the same chunk, a few times,
      // then goes on to the older ones (e.g. a partition of too many tombstones must not keep
      // every older hold from being read); the next full read tries it again.
      metrics.heldLegSweeps.labels(r.full() ? "full" : "pass", "failed").inc();
      ctx.getLog().warn("reading pending legs due {} to {} failed: {}", r.from(), r.to(), r.failure().toString());
      if (r.full() && ++chunkFailures >= CHUNK_ATTEMPTS) {
        metrics.heldLegSweeps.labels("full", "chunk_skipped").inc();
        ctx.getLog().warn("skipped the pending legs due {} to {} after {} failed reads; the next full read tries "
            + "them again", r.from(), r.to(), CHUNK_ATTEMPTS);
        full.notClean();
        return chunkDone(r);
      }
      return this;
    }
    r.rows().forEach(row -> queue.add(row.accountId()));
    if (r.full()) {
      full.found(r.rows());
    }
    if (!r.full()) {
      readTo = r.to();
      metrics.heldLegSweeps.labels("pass", "ok").inc();
      readFullChunk(); // passes must not starve a full read
      return this;
    }
    return chunkDone(r);
  }

  private Behavior<Command> chunkDone(Read r) {
    chunkFailures = 0;
    if (r.from().isAfter(fullFrom)) {
      fullTo = r.from();
      readFullChunk();
      return this;
    }
    if (full.carried().isEmpty()) {
      return fullDone(List.of());
    }
    // The rows below the floor that the last read found: read again by key, not by range.
    reading = true;
    ctx.pipeToSelf(rows.stillStored(full.carried()), CarriedRead::new);
    return this;
  }

  private Behavior<Command> carriedRead(CarriedRead r) {
    reading = false;
    if (r.failure() != null) {
      ctx.getLog().warn("reading {} carried pending legs failed: {}; the next full read reads the whole lookback",
          full.carried().size(), r.failure().toString());
      full.notClean();
      // Their accounts are woken all the same: they may hold the legs.
      full.carried().forEach(row -> queue.add(row.accountId()));
      return fullDone(List.of());
    }
    r.live().forEach(row -> queue.add(row.accountId()));
    return fullDone(r.live());
  }

  /** The full read is over: the floor and the carried rows for the next one. */
  private Behavior<Command> fullDone(List<PendingLegRow> carriedLive) {
    metrics.heldLegSweeps.labels(full.complete() ? "complete" : "full", full.clean() ? "ok" : "partial").inc();
    if (!floor.done(full, carriedLive)) {
      ctx.getLog().warn("more pending legs below the floor than carried-max {}: the next full read reads the "
          + "whole lookback", settings.carriedMax());
    }
    full = null;
    fullTo = null;
    if (fullAgain) {
      fullAgain = false;
      startFull();
    }
    return this;
  }
}
