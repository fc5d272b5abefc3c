package ledger.account;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.RecoveryFailed;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.persistence.typed.javadsl.SignalHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Objects;
import java.util.Set;
import ledger.account.Account.Status;
import ledger.core.CborSerializable;
import ledger.core.ResultCode;
import ledger.metrics.Metrics;

/**
 * One sharded, event-sourced entity per account. Every refusal is a reply and persists
 * nothing; every accepted change is one event and bumps the version by one. Event handlers
 * are pure: an event that does not fit the state is a bug and fails loudly.
 */
public final class AccountEntity
    extends EventSourcedBehaviorWithEnforcedReplies<AccountEntity.Command, AccountEntity.Event, AccountEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Account");
  private static final String CHECK_TIMER = "check-pending";

  // ---- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /** Commands from clients (through HTTP), each answered with a {@link Reply}. */
  public sealed interface ClientCommand extends Command {
    ActorRef<Reply> replyTo();
  }

  // A command that changes the account names who asked ({@code requestedBy}: an API key id or
  // "jwt:<subject>"; null: not known, e.g. from a node that predates the field); its event keeps it.

  public record Create(AccountSpec spec, String requestedBy, ActorRef<Reply> replyTo) implements ClientCommand {
    public Create(AccountSpec spec, ActorRef<Reply> replyTo) {
      this(spec, null, replyTo);
    }
  }

  public record Get(ActorRef<Reply> replyTo) implements ClientCommand {}

  public record Lock(String requestedBy, ActorRef<Reply> replyTo) implements ClientCommand {
    public Lock(ActorRef<Reply> replyTo) {
      this(null, replyTo);
    }
  }

  public record Unlock(String requestedBy, ActorRef<Reply> replyTo) implements ClientCommand {
    public Unlock(ActorRef<Reply> replyTo) {
      this(null, replyTo);
    }
  }

  public record Close(String requestedBy, ActorRef<Reply> replyTo) implements ClientCommand {
    public Close(ActorRef<Reply> replyTo) {
      this(null, replyTo);
    }
  }

  /** A null field leaves that part unchanged; a {@link LimitChange} of null sets "unbounded". */
  public record Update(LimitChange minBalance, LimitChange maxBalance, Map<String, String> metadata,
                       String requestedBy, ActorRef<Reply> replyTo) implements ClientCommand {
    public Update(LimitChange minBalance, LimitChange maxBalance, Map<String, String> metadata,
                  ActorRef<Reply> replyTo) {
      this(minBalance, maxBalance, metadata, null, replyTo);
    }
  }

  public record LimitChange(Long value) implements CborSerializable {}

  // The account side of the transfer protocol (docs/design.md "The transfer protocol").

  /**
   * Hold this transfer's postings on this account, unless it is past {@code deadline};
   * {@code twoPhase}: the transfer is a pending one (null from a node that predates the field).
   */
  public record Prepare(String transferId, List<Posting> postings, Instant deadline, Boolean twoPhase,
                        ActorRef<PrepareReply> replyTo) implements Command {
    public Prepare {
      postings = List.copyOf(postings);
    }
  }

  public sealed interface PrepareReply extends CborSerializable {
    String accountId();
  }

  public record Prepared(String accountId, String transferId) implements PrepareReply {}

  public record Refused(String accountId, String transferId, ResultCode code) implements PrepareReply {}

  /** Post the pending leg (all of it, or {@code partialAmount} of a one-sided leg); at most once. */
  public record PostLeg(String transferId, Long partialAmount, ActorRef<LegAck> replyTo) implements Command {}

  /** Release the pending leg; at most once, and a no-op where there is none. */
  public record VoidLeg(String transferId, ActorRef<LegAck> replyTo) implements Command {}

  public record LegAck(String accountId, String transferId) implements CborSerializable {}

  /** The coordinator's answer to {@link Coordinators#resolve}. */
  public record Resolution(String transferId, Outcome outcome, Long partialAmount, Instant recheckAt)
      implements Command {
    public enum Outcome { POST, VOID, WAIT }
  }

  /** Timer: ask the coordinators of legs left undecided for too long (presumed abort). */
  public record CheckPending() implements Command {}

  /** Receive timeout: passivate if nothing is pending. */
  public record Idle() implements Command {}

  /** To itself: write the group of events decided so far (group commit); never sent by others. */
  public record Flush() implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(Account account, boolean created) implements Reply {}

  /**
   * A client command refused: nothing was written. (Not to be confused with a transfer's
   * rejected status, which is a decision its coordinator persisted.)
   */
  public record Refusal(ResultCode code, String message) implements Reply {}

  // ---- events ---------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  // The events a client's command writes carry who asked ({@code requestedBy}, as on the
  // command); null in events persisted before it was recorded, which replay as before.

  public record Created(String accountId, AccountSpec spec, Instant at, String requestedBy) implements Event {
    public Created(String accountId, AccountSpec spec, Instant at) {
      this(accountId, spec, at, null);
    }
  }

  public record Locked(Instant at, String requestedBy) implements Event {
    public Locked(Instant at) {
      this(at, null);
    }
  }

  public record Unlocked(Instant at, String requestedBy) implements Event {
    public Unlocked(Instant at) {
      this(at, null);
    }
  }

  public record Closed(Instant at, String requestedBy) implements Event {
    public Closed(Instant at) {
      this(at, null);
    }
  }

  // Leg events carry what the read side needs to write its rows from the event alone: the leg
  // itself and the counters after it (`after`). Both are null in events persisted before they
  // were recorded; such events still replay (the entity needs neither).

  public record LegPrepared(PendingLeg leg, Instant at, Counters after) implements Event {}

  public record LegPosted(String transferId, Long partialAmount, Instant at, PendingLeg leg, Counters after)
      implements Event {}

  public record LegVoided(String transferId, Instant at, PendingLeg leg, Counters after) implements Event {}

  public record LimitsChanged(Long minBalance, Long maxBalance, Map<String, String> metadata,
                              Instant at, String requestedBy) implements Event {
    public LimitsChanged {
      metadata = Map.copyOf(metadata);
    }

    public LimitsChanged(Long minBalance, Long maxBalance, Map<String, String> metadata, Instant at) {
      this(minBalance, maxBalance, metadata, at, null);
    }
  }

  // ---- state ----------------------------------------------------------------------------

  /** {@link Empty} before creation, then {@link Account} for ever (closed is a status). */
  public sealed interface State extends CborSerializable permits Empty, Account {}

  public record Empty() implements State {}

  // ---- behaviour ------------------------------------------------------------------------

  /**
   * {@code groupMaxEvents} and {@code groupMaxBytes} bound one group commit (one journal write);
   * {@code pendingLegsMax} the legs an account holds at once (more are refused too_many_pending).
   */
  public record Settings(int snapshotEveryEvents, int tagCount, Duration presumedAbortAfter,
                         Duration pendingCheckInterval, Duration idleTimeout, int groupMaxEvents, int groupMaxBytes,
                         int pendingLegsMax, String journalPluginId) {
    public Settings {
      if (snapshotEveryEvents < 1 || tagCount < 1 || pendingLegsMax < 1) {
        throw new IllegalArgumentException("snapshot cadence, tag count and pending legs must be positive");
      }
      new CommitGroup.Bound(groupMaxEvents, groupMaxBytes);
    }

    /** On the default journal ("": the tests' in-memory one). */
    public Settings(int snapshotEveryEvents, int tagCount, Duration presumedAbortAfter,
                    Duration pendingCheckInterval, Duration idleTimeout, int groupMaxEvents, int groupMaxBytes,
                    int pendingLegsMax) {
      this(snapshotEveryEvents, tagCount, presumedAbortAfter, pendingCheckInterval, idleTimeout, groupMaxEvents,
          groupMaxBytes, pendingLegsMax, "");
    }

    /** With the default group bound and pending cap. */
    public Settings(int snapshotEveryEvents, int tagCount, Duration presumedAbortAfter,
                    Duration pendingCheckInterval, Duration idleTimeout) {
      this(snapshotEveryEvents, tagCount, presumedAbortAfter, pendingCheckInterval, idleTimeout, 32, 16 * 1024,
          2000);
    }

    public static Settings fromConfig(com.typesafe.config.Config root) {
      return new Settings(
          root.getInt("ledger.account.snapshot-every-events"),
          root.getInt("ledger.projection.tag-count"),
          root.getDuration("ledger.transfer.presumed-abort-after"),
          root.getDuration("ledger.transfer.pending-check-interval"),
          root.getDuration("ledger.account.idle-timeout"),
          root.getInt("ledger.account.group-commit.max-events"),
          root.getBytes("ledger.account.group-commit.max-bytes").intValue(),
          root.getInt("ledger.account.pending-legs-max"),
          ledger.journal.Journals.accountPluginId(root));
    }
  }

  /**
   * What an account needs from the cluster: the coordinators of transfers (to resolve legs
   * left undecided) and its shard (to passivate). The shard is null outside sharding.
   */
  public record Environment(Coordinators coordinators, ActorRef<ClusterSharding.ShardCommand> shard, Clock clock,
                            PersistObserver persistObserver) {
    public Environment(Coordinators coordinators, ActorRef<ClusterSharding.ShardCommand> shard, Clock clock) {
      this(coordinators, shard, clock, PersistObserver.NONE);
    }
  }

  /**
   * Asks the coordinator of {@code transferId} to decide a leg this account holds undecided
   * (presumed abort); it answers {@code account} with a {@link Resolution}. The coordinator
   * implements it (TransferEntity.coordinators), so that an account does not know its type.
   */
  @FunctionalInterface
  public interface Coordinators {
    void resolve(String transferId, String accountId, ActorRef<Command> account);
  }

  /** Told how long each persist took, from the call to its acknowledgement (journal write latency). */
  public interface PersistObserver {
    PersistObserver NONE = nanos -> { };

    void persisted(long nanos);
  }

  public static Behavior<Command> create(String accountId, Settings settings, Environment env) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setReceiveTimeout(settings.idleTimeout(), new Idle());
      return new AccountEntity(accountId, settings, env, ctx, timers);
    }));
  }

  public static PersistenceId persistenceId(String accountId) {
    return PersistenceId.of(TYPE_KEY.name(), accountId);
  }

  /** The projection tag of an account: stable (String.hashCode is specified) and fixed-size. */
  public static String tag(String accountId, int tagCount) {
    return tagName(Math.floorMod(accountId.hashCode(), tagCount));
  }

  public static String tagName(int index) {
    return "account-" + index;
  }

  private final String accountId;
  private final Settings settings;
  private final Environment env;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  /** When to next ask a leg's coordinator; in memory only, rebuilt from preparedAt on recovery. */
  private final Map<String, Instant> nextCheck = new HashMap<>();
  /**
   * Legs posted or voided here, until their prepare deadline has passed: a late duplicate
   * Prepare must not hold the transfer again. Akka's per-sender ordering already keeps a
   * coordinator's Prepare ahead of its Post, and the deadline check covers the rest; this is
   * defence in depth at no journal cost, so it is not persisted.
   */
  private final Map<String, Instant> recentlyFinished = new HashMap<>();
  private final CommitGroup group;
  /** A Flush is on its way to this entity (at most one at a time). */
  private boolean flushScheduled;

  private AccountEntity(String accountId, Settings settings, Environment env, ActorContext<Command> ctx,
                        TimerScheduler<Command> timers) {
    super(persistenceId(accountId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
    this.accountId = Objects.requireNonNull(accountId);
    this.settings = settings;
    this.env = env;
    this.ctx = ctx;
    this.timers = timers;
    this.group = new CommitGroup(new CommitGroup.Bound(settings.groupMaxEvents(), settings.groupMaxBytes()));
  }

  @Override
  public State emptyState() {
    return new Empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots speed up recovery; events are never deleted (statements and audit need them).
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    // One tag, the same on every event: the ledger's journal relies on it (LedgerJournal).
    return Set.of(tag(accountId, settings.tagCount()));
  }

  @Override
  public String journalPluginId() {
    return settings.journalPluginId();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryFailed.class, (state, signal) ->
            Metrics.get(ctx.getSystem()).recoveryFailed(TYPE_KEY.name(), signal.getFailure()))
        .onSignal(RecoveryCompleted.instance(), state -> {
          // This instance outlives a restart after a journal failure: what it decided on the
          // failed write's state is void (its answers were never sent; the callers time out).
          nextCheck.clear();
          group.clear();
          flushScheduled = false;
          armPendingCheck(state);
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forAnyState().onAnyCommand(this::handle);
    return builder.build();
  }

  // ---- group commit -------------------------------------------------------------------------

  /** What a command decided: nothing to say, an answer alone, or one event and the answer after it. */
  private sealed interface Decision permits Silent, Answer, Write {}

  private record Silent() implements Decision {}

  private record Answer(Runnable send) implements Decision {}

  /** {@code answer} is built from the state right after this event (not after the whole group). */
  private record Write(Event event, Function<State, Runnable> answer) implements Decision {}

  /**
   * Every command is decided against the state including the group not yet written (see
   * {@link CommitGroup}); its events join the group, and the group is written as one atomic
   * single-partition write when the entity has read every command already waiting (the Flush
   * it sent itself comes after them), or at once when the group is full. While a write is in
   * flight Akka stashes commands, and hands them all over before the next mailbox message once
   * it is acknowledged, so they form the next group.
   */
  private ReplyEffect<Event, State> handle(State written, Command cmd) {
    if (cmd instanceof Flush) {
      flushScheduled = false;
      return group.isEmpty() ? Effect().noReply() : writeGroup();
    }
    if (cmd instanceof Get get) {
      // A read answers what is written: what the group holds is not acknowledged to anyone yet.
      if (written instanceof Account account) {
        return Effect().reply(get.replyTo(), new Accepted(account, false));
      } else if (!group.isEmpty()) { // its creation is in the group, not yet written
        return Effect().reply(get.replyTo(), notFound());
      }
    }
    State view = group.isEmpty() ? written : group.state();
    if (!(view instanceof Account)) {
      return beforeCreation(cmd);
    }
    Decision decision = decide((Account) view, cmd);
    if (decision instanceof Answer answer) {
      if (group.isEmpty()) {
        answer.send().run();
      } else {
        group.defer(answer.send());
      }
    } else if (decision instanceof Write write) {
      // A coordinator's resolution has nobody waiting for an answer and comes alone (presumed
      // abort): with no group open it is written at once.
      return add(view, write, cmd instanceof Resolution && group.isEmpty());
    }
    return Effect().noReply();
  }

  /** Adds a decided event to the group: written at once if the group is full, else at the Flush. */
  private ReplyEffect<Event, State> add(State view, Write write, boolean now) {
    State after = applyEvent(view, write.event());
    if (group.add(write.event(), after, write.answer().apply(after)) || now) {
      return writeGroup();
    }
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(new Flush());
    }
    return Effect().noReply();
  }

  /** One journal write for the whole group; its answers go out once it is acknowledged. */
  private ReplyEffect<Event, State> writeGroup() {
    CommitGroup.Taken taken = group.take();
    long start = System.nanoTime();
    return Effect().persist(taken.events()).thenRun(state -> {
      env.persistObserver().persisted(System.nanoTime() - start);
      taken.answers().forEach(Runnable::run);
      armPendingCheck(state);
    }).thenNoReply();
  }

  /**
   * No account (nothing written, no creation in the group): a Create is decided; anything else
   * is answered at once and the entity passivates, so that requests naming accounts that do not
   * exist leave no entity behind (and no remembered one).
   */
  private ReplyEffect<Event, State> beforeCreation(Command cmd) {
    Decision decision = cmd instanceof Create create ? create(create) : answerBeforeCreation(cmd);
    if (decision instanceof Write write) {
      return add(new Empty(), write, false);
    }
    if (decision instanceof Answer answer) {
      answer.send().run();
    }
    if (env.shard() != null) {
      env.shard().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().noReply();
  }

  private Decision answerBeforeCreation(Command cmd) {
    if (cmd instanceof Prepare prepare) {
      return new Answer(() -> prepare.replyTo().tell(
          new Refused(accountId, prepare.transferId(), ResultCode.ACCOUNT_NOT_FOUND)));
    } else if (cmd instanceof PostLeg post) {
      return ackNow(post.replyTo(), post.transferId());
    } else if (cmd instanceof VoidLeg voidLeg) {
      return ackNow(voidLeg.replyTo(), voidLeg.transferId());
    } else if (cmd instanceof ClientCommand client) {
      return new Answer(() -> client.replyTo().tell(notFound()));
    }
    return new Silent();
  }

  private Decision decide(Account account, Command cmd) {
    if (cmd instanceof Create c) {
      return createAgain(account, c);
    } else if (cmd instanceof Lock c) {
      return lock(account, c);
    } else if (cmd instanceof Unlock c) {
      return unlock(account, c);
    } else if (cmd instanceof Close c) {
      return close(account, c);
    } else if (cmd instanceof Update c) {
      return update(account, c);
    } else if (cmd instanceof Prepare c) {
      return prepare(account, c);
    } else if (cmd instanceof PostLeg c) {
      return postLeg(account, c);
    } else if (cmd instanceof VoidLeg c) {
      return voidLeg(account, c);
    } else if (cmd instanceof Resolution c) {
      return resolution(account, c);
    } else if (cmd instanceof CheckPending) {
      checkPending(account);
    } else if (cmd instanceof Idle) {
      idle(account);
    }
    return new Silent();
  }

  // ---- transfer protocol ------------------------------------------------------------------

  private Decision prepare(Account account, Prepare cmd) {
    PendingLeg existing = account.pending().get(cmd.transferId());
    Instant at = now();
    if (existing != null) {
      // Idempotent: the same postings again are already held; different ones cannot be.
      return prepareAnswer(cmd, sameLeg(existing, cmd) ? null : ResultCode.TRANSFER_TIMED_OUT);
    }
    recentlyFinished.values().removeIf(forgetAt -> forgetAt.isBefore(at));
    if (at.isAfter(cmd.deadline()) || recentlyFinished.containsKey(cmd.transferId())) {
      // A late (duplicate) Prepare must never re-create a leg its coordinator already resolved.
      return prepareAnswer(cmd, ResultCode.TRANSFER_TIMED_OUT);
    }
    ResultCode refusal = account.statusRefusal();
    if (refusal == null && cmd.postings().stream().anyMatch(p -> !p.currency().equals(account.currency()))) {
      refusal = ResultCode.CURRENCY_MISMATCH;
    }
    PendingLeg leg = null;
    if (refusal == null) {
      try {
        leg = PendingLeg.of(cmd.transferId(), account.currency(), cmd.postings(), at, cmd.deadline(),
            account.version() + 1, cmd.twoPhase());
        refusal = account.limitRefusal(leg);
      } catch (ArithmeticException overflow) {
        refusal = ResultCode.OVERFLOW;
      }
    }
    if (refusal == null && account.pending().size() >= settings.pendingLegsMax()) {
      refusal = ResultCode.TOO_MANY_PENDING;
    }
    if (refusal != null) {
      return prepareAnswer(cmd, refusal);
    }
    Prepared prepared = new Prepared(accountId, cmd.transferId());
    return new Write(new LegPrepared(leg, at, Counters.of(account.withLeg(leg, at))),
        after -> () -> cmd.replyTo().tell(prepared));
  }

  /** Prepared when {@code refusal} is null, else refused with it. */
  private Answer prepareAnswer(Prepare cmd, ResultCode refusal) {
    PrepareReply reply = refusal == null ? new Prepared(accountId, cmd.transferId())
        : new Refused(accountId, cmd.transferId(), refusal);
    return new Answer(() -> cmd.replyTo().tell(reply));
  }

  private boolean sameLeg(PendingLeg existing, Prepare cmd) {
    try {
      PendingLeg asked = PendingLeg.of(cmd.transferId(), existing.currency(), cmd.postings(), existing.preparedAt(),
          existing.deadline(), existing.preparedVersion(), existing.twoPhase());
      return asked.equals(existing)
          && cmd.postings().stream().allMatch(p -> p.currency().equals(existing.currency()));
    } catch (ArithmeticException overflow) {
      return false;
    }
  }

  private Decision postLeg(Account account, PostLeg cmd) {
    PendingLeg leg = account.pending().get(cmd.transferId());
    if (leg == null) {
      return ackNow(cmd.replyTo(), cmd.transferId());
    }
    if (!partialFits(leg, cmd.partialAmount())) {
      ctx.getLog().error("Refusing a partial post of {} on leg {} of account {}: it does not fit",
          cmd.partialAmount(), cmd.transferId(), accountId);
      return new Silent();
    }
    finished(leg);
    return new Write(posted(account, cmd.transferId(), cmd.partialAmount()), ackAfter(cmd.replyTo(), cmd.transferId()));
  }

  private Decision voidLeg(Account account, VoidLeg cmd) {
    PendingLeg leg = account.pending().get(cmd.transferId());
    if (leg == null) {
      return ackNow(cmd.replyTo(), cmd.transferId());
    }
    finished(leg);
    return new Write(voided(account, cmd.transferId()), ackAfter(cmd.replyTo(), cmd.transferId()));
  }

  private LegPosted posted(Account account, String transferId, Long partialAmount) {
    Instant at = now();
    return new LegPosted(transferId, partialAmount, at, account.pending().get(transferId),
        Counters.of(account.withLegPosted(transferId, partialAmount, at)));
  }

  private LegVoided voided(Account account, String transferId) {
    Instant at = now();
    return new LegVoided(transferId, at, account.pending().get(transferId),
        Counters.of(account.withLegVoided(transferId, at)));
  }

  /** The coordinator's word on a leg this account asked about. */
  private Decision resolution(Account account, Resolution r) {
    PendingLeg leg = account.pending().get(r.transferId());
    if (leg == null) {
      return new Silent();
    }
    switch (r.outcome()) {
      case POST -> {
        if (!partialFits(leg, r.partialAmount())) {
          ctx.getLog().error("Ignoring resolution {} for account {}: the amount does not fit", r, accountId);
          return new Silent();
        }
        finished(leg);
        return new Write(posted(account, r.transferId(), r.partialAmount()), after -> () -> { });
      }
      case VOID -> {
        finished(leg);
        return new Write(voided(account, r.transferId()), after -> () -> { });
      }
      default -> {
        nextCheck.put(r.transferId(), r.recheckAt());
        return new Silent();
      }
    }
  }

  /** Forget the leg's check; remember it is done until its prepare deadline is well past. */
  private void finished(PendingLeg leg) {
    nextCheck.remove(leg.transferId());
    recentlyFinished.put(leg.transferId(), leg.deadline().plus(settings.presumedAbortAfter()));
  }

  private static boolean partialFits(PendingLeg leg, Long partial) {
    return partial == null
        || ((leg.debit() == 0 || leg.credit() == 0) && partial >= 1 && partial <= leg.debit() + leg.credit());
  }

  /** Presumed abort: ask the coordinator of every leg undecided past the bound. */
  private void checkPending(Account account) {
    if (account.pending().isEmpty()) {
      timers.cancel(CHECK_TIMER);
      nextCheck.clear();
      return;
    }
    Instant at = env.clock().instant();
    nextCheck.keySet().retainAll(account.pending().keySet());
    for (PendingLeg leg : account.pending().values()) {
      Instant due = nextCheck.getOrDefault(leg.transferId(), leg.preparedAt().plus(settings.presumedAbortAfter()));
      if (!at.isBefore(due)) {
        env.coordinators().resolve(leg.transferId(), accountId, ctx.getSelf());
        nextCheck.put(leg.transferId(), at.plus(settings.presumedAbortAfter()));
      }
    }
  }

  private void armPendingCheck(State state) {
    if (state instanceof Account a && !a.pending().isEmpty() && !timers.isTimerActive(CHECK_TIMER)) {
      timers.startTimerWithFixedDelay(CHECK_TIMER, new CheckPending(), settings.pendingCheckInterval());
    }
  }

  private void idle(Account account) {
    // Remembered entities are not passivated by sharding: an account holding pending legs must
    // stay alive (and be restarted after a crash) until they are resolved.
    if (group.isEmpty() && account.pending().isEmpty() && env.shard() != null) {
      env.shard().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
  }

  private Answer ackNow(ActorRef<LegAck> replyTo, String transferId) {
    LegAck ack = new LegAck(accountId, transferId);
    return new Answer(() -> replyTo.tell(ack));
  }

  private Function<State, Runnable> ackAfter(ActorRef<LegAck> replyTo, String transferId) {
    LegAck ack = new LegAck(accountId, transferId);
    return after -> () -> replyTo.tell(ack);
  }

  // ---- client commands ----------------------------------------------------------------------

  private Decision create(Create cmd) {
    AccountSpec spec = cmd.spec();
    if (spec.minBalance() != null && spec.maxBalance() != null && spec.maxBalance() < spec.minBalance()) {
      return refuse(cmd, ResultCode.INVALID_LIMIT, "max_balance must not be below min_balance");
    }
    Instant at = now();
    if (!Account.opened(accountId, spec, at).withinLimits(spec.minBalance(), spec.maxBalance())) {
      return refuse(cmd, ResultCode.LIMIT_VIOLATED, "a new account has balance 0, which these limits forbid");
    }
    return new Write(new Created(accountId, spec, at, cmd.requestedBy()), after -> accept(cmd, after, true));
  }

  /** Idempotent create: compare with the original request, field by field in API order. */
  private Decision createAgain(Account account, Create cmd) {
    AccountSpec was = account.createdWith();
    AccountSpec now = cmd.spec();
    if (!was.currency().equals(now.currency())) {
      return refuse(cmd, ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY, "account exists with currency " + was.currency());
    }
    if (!Objects.equals(was.minBalance(), now.minBalance())) {
      return refuse(cmd, ResultCode.EXISTS_WITH_DIFFERENT_MIN_BALANCE, "account exists with another min_balance");
    }
    if (!Objects.equals(was.maxBalance(), now.maxBalance())) {
      return refuse(cmd, ResultCode.EXISTS_WITH_DIFFERENT_MAX_BALANCE, "account exists with another max_balance");
    }
    if (!was.metadata().equals(now.metadata())) {
      return refuse(cmd, ResultCode.EXISTS_WITH_DIFFERENT_METADATA, "account exists with other metadata");
    }
    return new Answer(accept(cmd, account, false));
  }

  private Decision lock(Account account, Lock cmd) {
    if (account.status() != Status.OPEN) {
      return refuse(cmd, ResultCode.INVALID_STATUS_TRANSITION, "cannot lock a " + statusName(account) + " account");
    }
    return change(new Locked(now(), cmd.requestedBy()), cmd);
  }

  private Decision unlock(Account account, Unlock cmd) {
    if (account.status() != Status.LOCKED) {
      return refuse(cmd, ResultCode.INVALID_STATUS_TRANSITION, "cannot unlock a " + statusName(account) + " account");
    }
    return change(new Unlocked(now(), cmd.requestedBy()), cmd);
  }

  private Decision close(Account account, Close cmd) {
    if (account.status() == Status.CLOSED) {
      return refuse(cmd, ResultCode.INVALID_STATUS_TRANSITION, "account is already closed");
    }
    if (account.balance() != 0) {
      return refuse(cmd, ResultCode.ACCOUNT_NOT_EMPTY, "balance is " + account.balance() + ", must be 0");
    }
    if (account.hasPending()) {
      return refuse(cmd, ResultCode.ACCOUNT_HAS_PENDING, "account has pending transfers");
    }
    return change(new Closed(now(), cmd.requestedBy()), cmd);
  }

  private Decision update(Account account, Update cmd) {
    if (account.status() == Status.CLOSED) {
      return refuse(cmd, ResultCode.ACCOUNT_CLOSED, "account is closed");
    }
    Long min = cmd.minBalance() == null ? account.minBalance() : cmd.minBalance().value();
    Long max = cmd.maxBalance() == null ? account.maxBalance() : cmd.maxBalance().value();
    Map<String, String> meta = cmd.metadata() == null ? account.metadata() : Map.copyOf(cmd.metadata());
    if (min != null && max != null && max < min) {
      return refuse(cmd, ResultCode.INVALID_LIMIT, "max_balance must not be below min_balance");
    }
    if (!account.withinLimits(min, max)) {
      return refuse(cmd, ResultCode.LIMIT_VIOLATED, "the current balances break the new limits");
    }
    boolean unchanged = Objects.equals(min, account.minBalance()) && Objects.equals(max, account.maxBalance())
        && meta.equals(account.metadata());
    if (unchanged) {
      return new Answer(accept(cmd, account, false));
    }
    return change(new LimitsChanged(min, max, meta, now(), cmd.requestedBy()), cmd);
  }

  private Write change(Event event, ClientCommand cmd) {
    return new Write(event, after -> accept(cmd, after, false));
  }

  private static Runnable accept(ClientCommand cmd, State account, boolean created) {
    Accepted accepted = new Accepted((Account) account, created);
    return () -> cmd.replyTo().tell(accepted);
  }

  private static Answer refuse(ClientCommand cmd, ResultCode code, String message) {
    Refusal refusal = new Refusal(code, message);
    return new Answer(() -> cmd.replyTo().tell(refusal));
  }

  private Refusal notFound() {
    return new Refusal(ResultCode.ACCOUNT_NOT_FOUND, "account " + accountId + " does not exist");
  }

  private Instant now() {
    return env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String statusName(Account account) {
    return account.status().wire();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(AccountEntity::applyEvent);
  }

  /**
   * The pure event handler, also used by the recon engine to replay a journal. An event that
   * does not fit the state is a bug and throws.
   */
  public static State applyEvent(State state, Event event) {
    if (state instanceof Empty) {
      if (event instanceof Created e) {
        return Account.opened(e.accountId(), e.spec(), e.at());
      }
      throw new IllegalStateException("event " + event + " before the account was created");
    }
    Account a = (Account) state;
    if (event instanceof Locked e) {
      return a.withStatus(Status.LOCKED, e.at());
    } else if (event instanceof Unlocked e) {
      return a.withStatus(Status.OPEN, e.at());
    } else if (event instanceof Closed e) {
      return a.withStatus(Status.CLOSED, e.at());
    } else if (event instanceof LimitsChanged e) {
      return a.withLimits(e.minBalance(), e.maxBalance(), e.metadata(), e.at());
    } else if (event instanceof LegPrepared e) {
      return a.withLeg(e.leg(), e.at());
    } else if (event instanceof LegPosted e) {
      return a.withLegPosted(e.transferId(), e.partialAmount(), e.at());
    } else if (event instanceof LegVoided e) {
      return a.withLegVoided(e.transferId(), e.at());
    }
    throw new IllegalStateException("event " + event + " on an existing account " + a.id());
  }
}
