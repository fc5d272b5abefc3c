package ledger.account;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.RecipientRef;
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
import akka.persistence.typed.javadsl.EffectBuilder;
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
import ledger.transfer.Posting;
import ledger.transfer.TransferEntity;

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

  public record Create(AccountSpec spec, ActorRef<Reply> replyTo) implements ClientCommand {}

  public record Get(ActorRef<Reply> replyTo) implements ClientCommand {}

  public record Lock(ActorRef<Reply> replyTo) implements ClientCommand {}

  public record Unlock(ActorRef<Reply> replyTo) implements ClientCommand {}

  public record Close(ActorRef<Reply> replyTo) implements ClientCommand {}

  /** A null field leaves that part unchanged; a {@link LimitChange} of null sets "unbounded". */
  public record Update(LimitChange minBalance, LimitChange maxBalance, Map<String, String> metadata,
                       ActorRef<Reply> replyTo) implements ClientCommand {}

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

  /** The coordinator's answer to {@link ledger.transfer.TransferEntity.Resolve}. */
  public record Resolution(String transferId, Outcome outcome, Long partialAmount, Instant recheckAt)
      implements Command {
    public enum Outcome { POST, VOID, WAIT }
  }

  /** Timer: ask the coordinators of legs left undecided for too long (presumed abort). */
  public record CheckPending() implements Command {}

  /** Receive timeout: passivate if nothing is pending. */
  public record Idle() implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(Account account, boolean created) implements Reply {}

  public record Rejected(ResultCode code, String message) implements Reply {}

  // ---- events ---------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record Created(String accountId, AccountSpec spec, Instant at) implements Event {}

  public record Locked(Instant at) implements Event {}

  public record Unlocked(Instant at) implements Event {}

  public record Closed(Instant at) implements Event {}

  // Leg events carry what the read side needs to write its rows from the event alone: the leg
  // itself and the counters after it (`after`). Both are null in events persisted before they
  // were recorded; such events still replay (the entity needs neither).

  public record LegPrepared(PendingLeg leg, Instant at, Counters after) implements Event {}

  public record LegPosted(String transferId, Long partialAmount, Instant at, PendingLeg leg, Counters after)
      implements Event {}

  public record LegVoided(String transferId, Instant at, PendingLeg leg, Counters after) implements Event {}

  public record LimitsChanged(Long minBalance, Long maxBalance, Map<String, String> metadata,
                              Instant at) implements Event {
    public LimitsChanged {
      metadata = Map.copyOf(metadata);
    }
  }

  // ---- state ----------------------------------------------------------------------------

  /** {@link Empty} before creation, then {@link Account} for ever (closed is a status). */
  public sealed interface State extends CborSerializable permits Empty, Account {}

  public record Empty() implements State {}

  // ---- behaviour ------------------------------------------------------------------------

  public record Settings(int snapshotEveryEvents, int tagCount, Duration presumedAbortAfter,
                         Duration pendingCheckInterval, Duration idleTimeout) {
    public Settings {
      if (snapshotEveryEvents < 1 || tagCount < 1) {
        throw new IllegalArgumentException("snapshot cadence and tag count must be positive");
      }
    }

    public static Settings fromConfig(com.typesafe.config.Config root) {
      return new Settings(
          root.getInt("ledger.account.snapshot-every-events"),
          root.getInt("ledger.projection.tag-count"),
          root.getDuration("ledger.transfer.presumed-abort-after"),
          root.getDuration("ledger.transfer.pending-check-interval"),
          root.getDuration("ledger.account.idle-timeout"));
    }
  }

  /**
   * What an account needs from the cluster: the coordinators of transfers (to resolve legs
   * left undecided) and its shard (to passivate). The shard is null outside sharding.
   */
  public record Environment(Function<String, RecipientRef<TransferEntity.Command>> transfers,
                            ActorRef<ClusterSharding.ShardCommand> shard, Clock clock,
                            PersistObserver persistObserver) {
    public Environment(Function<String, RecipientRef<TransferEntity.Command>> transfers,
                       ActorRef<ClusterSharding.ShardCommand> shard, Clock clock) {
      this(transfers, shard, clock, PersistObserver.NONE);
    }
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

  private AccountEntity(String accountId, Settings settings, Environment env, ActorContext<Command> ctx,
                        TimerScheduler<Command> timers) {
    super(persistenceId(accountId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
    this.accountId = Objects.requireNonNull(accountId);
    this.settings = settings;
    this.env = env;
    this.ctx = ctx;
    this.timers = timers;
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
    return Set.of(tag(accountId, settings.tagCount()));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryFailed.class, (state, signal) ->
            Metrics.get(ctx.getSystem()).recoveryFailed(TYPE_KEY.name(), signal.getFailure()))
        .onSignal(RecoveryCompleted.instance(), state -> {
          nextCheck.clear(); // this instance outlives a restart after a journal failure
          armPendingCheck(state);
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Empty.class)
        .onCommand(Create.class, (state, cmd) -> persistCreated(cmd))
        .onCommand(Prepare.class, (state, cmd) -> Effect().reply(cmd.replyTo(),
            new Refused(accountId, cmd.transferId(), ResultCode.ACCOUNT_NOT_FOUND)))
        .onCommand(PostLeg.class, (state, cmd) -> Effect().reply(cmd.replyTo(), ack(cmd.transferId())))
        .onCommand(VoidLeg.class, (state, cmd) -> Effect().reply(cmd.replyTo(), ack(cmd.transferId())))
        .onCommand(ClientCommand.class, (state, cmd) ->
            reject(cmd, ResultCode.ACCOUNT_NOT_FOUND, "account " + accountId + " does not exist"))
        .onAnyCommand((state, cmd) -> Effect().noReply());
    builder.forStateType(Account.class)
        .onCommand(Create.class, this::createAgain)
        .onCommand(Get.class, (account, cmd) -> Effect().reply(cmd.replyTo(), new Accepted(account, false)))
        .onCommand(Lock.class, this::lock)
        .onCommand(Unlock.class, this::unlock)
        .onCommand(Close.class, this::close)
        .onCommand(Update.class, this::update)
        .onCommand(Prepare.class, this::prepare)
        .onCommand(PostLeg.class, this::postLeg)
        .onCommand(VoidLeg.class, this::voidLeg)
        .onCommand(Resolution.class, this::resolution)
        .onCommand(CheckPending.class, this::checkPending)
        .onCommand(Idle.class, this::idle);
    return builder.build();
  }

  // ---- transfer protocol ------------------------------------------------------------------

  private ReplyEffect<Event, State> prepare(Account account, Prepare cmd) {
    PendingLeg existing = account.pending().get(cmd.transferId());
    Instant at = now();
    if (existing != null) {
      // Idempotent: the same postings again are already held; different ones cannot be.
      boolean same = sameLeg(existing, cmd);
      return Effect().reply(cmd.replyTo(), same ? new Prepared(accountId, cmd.transferId())
          : new Refused(accountId, cmd.transferId(), ResultCode.TRANSFER_TIMED_OUT));
    }
    recentlyFinished.values().removeIf(forgetAt -> forgetAt.isBefore(at));
    if (at.isAfter(cmd.deadline()) || recentlyFinished.containsKey(cmd.transferId())) {
      // A late (duplicate) Prepare must never re-create a leg its coordinator already resolved.
      return Effect().reply(cmd.replyTo(), new Refused(accountId, cmd.transferId(), ResultCode.TRANSFER_TIMED_OUT));
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
    if (refusal != null) {
      return Effect().reply(cmd.replyTo(), new Refused(accountId, cmd.transferId(), refusal));
    }
    return persistTimed(new LegPrepared(leg, at, Counters.of(account.withLeg(leg, at))))
        .thenRun(state -> armPendingCheck(state))
        .thenReply(cmd.replyTo(), state -> new Prepared(accountId, cmd.transferId()));
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

  private ReplyEffect<Event, State> postLeg(Account account, PostLeg cmd) {
    if (!account.pending().containsKey(cmd.transferId())) {
      return Effect().reply(cmd.replyTo(), ack(cmd.transferId()));
    }
    if (!partialFits(account.pending().get(cmd.transferId()), cmd.partialAmount())) {
      ctx.getLog().error("Refusing a partial post of {} on leg {} of account {}: it does not fit",
          cmd.partialAmount(), cmd.transferId(), accountId);
      return Effect().noReply();
    }
    finished(account.pending().get(cmd.transferId()));
    return persistTimed(posted(account, cmd.transferId(), cmd.partialAmount()))
        .thenReply(cmd.replyTo(), state -> ack(cmd.transferId()));
  }

  private ReplyEffect<Event, State> voidLeg(Account account, VoidLeg cmd) {
    if (!account.pending().containsKey(cmd.transferId())) {
      return Effect().reply(cmd.replyTo(), ack(cmd.transferId()));
    }
    finished(account.pending().get(cmd.transferId()));
    return persistTimed(voided(account, cmd.transferId()))
        .thenReply(cmd.replyTo(), state -> ack(cmd.transferId()));
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

  /** Persists one event, telling the observer how long the journal took to acknowledge it. */
  private EffectBuilder<Event, State> persistTimed(Event event) {
    long start = System.nanoTime();
    return Effect().persist(event).thenRun(state -> env.persistObserver().persisted(System.nanoTime() - start));
  }

  /** The coordinator's word on a leg this account asked about. */
  private ReplyEffect<Event, State> resolution(Account account, Resolution r) {
    PendingLeg leg = account.pending().get(r.transferId());
    if (leg == null) {
      return Effect().noReply();
    }
    switch (r.outcome()) {
      case POST -> {
        if (!partialFits(leg, r.partialAmount())) {
          ctx.getLog().error("Ignoring resolution {} for account {}: the amount does not fit", r, accountId);
          return Effect().noReply();
        }
        finished(leg);
        return persistTimed(posted(account, r.transferId(), r.partialAmount())).thenNoReply();
      }
      case VOID -> {
        finished(leg);
        return persistTimed(voided(account, r.transferId())).thenNoReply();
      }
      default -> {
        nextCheck.put(r.transferId(), r.recheckAt());
        return Effect().noReply();
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
  private ReplyEffect<Event, State> checkPending(Account account, CheckPending tick) {
    if (account.pending().isEmpty()) {
      timers.cancel(CHECK_TIMER);
      nextCheck.clear();
      return Effect().noReply();
    }
    Instant at = env.clock().instant();
    nextCheck.keySet().retainAll(account.pending().keySet());
    for (PendingLeg leg : account.pending().values()) {
      Instant due = nextCheck.getOrDefault(leg.transferId(), leg.preparedAt().plus(settings.presumedAbortAfter()));
      if (!at.isBefore(due)) {
        env.transfers().apply(leg.transferId())
            .tell(new TransferEntity.Resolve(leg.transferId(), accountId, ctx.getSelf()));
        nextCheck.put(leg.transferId(), at.plus(settings.presumedAbortAfter()));
      }
    }
    return Effect().noReply();
  }

  private void armPendingCheck(State state) {
    if (state instanceof Account a && !a.pending().isEmpty() && !timers.isTimerActive(CHECK_TIMER)) {
      timers.startTimerWithFixedDelay(CHECK_TIMER, new CheckPending(), settings.pendingCheckInterval());
    }
  }

  private ReplyEffect<Event, State> idle(Account account, Idle idle) {
    // Remembered entities are not passivated by sharding: an account holding pending legs must
    // stay alive (and be restarted after a crash) until they are resolved.
    if (account.pending().isEmpty() && env.shard() != null) {
      env.shard().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().noReply();
  }

  private LegAck ack(String transferId) {
    return new LegAck(accountId, transferId);
  }

  // ---- client commands ----------------------------------------------------------------------

  private ReplyEffect<Event, State> persistCreated(Create cmd) {
    AccountSpec spec = cmd.spec();
    if (spec.minBalance() != null && spec.maxBalance() != null && spec.maxBalance() < spec.minBalance()) {
      return reject(cmd, ResultCode.INVALID_LIMIT, "max_balance must not be below min_balance");
    }
    Instant at = now();
    if (!Account.opened(accountId, spec, at).withinLimits(spec.minBalance(), spec.maxBalance())) {
      return reject(cmd, ResultCode.LIMIT_VIOLATED, "a new account has balance 0, which these limits forbid");
    }
    return persistTimed(new Created(accountId, spec, at))
        .thenReply(cmd.replyTo(), state -> new Accepted((Account) state, true));
  }

  /** Idempotent create: compare with the original request, field by field in API order. */
  private ReplyEffect<Event, State> createAgain(Account account, Create cmd) {
    AccountSpec was = account.createdWith();
    AccountSpec now = cmd.spec();
    if (!was.currency().equals(now.currency())) {
      return reject(cmd, ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY, "account exists with currency " + was.currency());
    }
    if (!Objects.equals(was.minBalance(), now.minBalance())) {
      return reject(cmd, ResultCode.EXISTS_WITH_DIFFERENT_MIN_BALANCE, "account exists with another min_balance");
    }
    if (!Objects.equals(was.maxBalance(), now.maxBalance())) {
      return reject(cmd, ResultCode.EXISTS_WITH_DIFFERENT_MAX_BALANCE, "account exists with another max_balance");
    }
    if (!was.metadata().equals(now.metadata())) {
      return reject(cmd, ResultCode.EXISTS_WITH_DIFFERENT_METADATA, "account exists with other metadata");
    }
    return Effect().reply(cmd.replyTo(), new Accepted(account, false));
  }

  private ReplyEffect<Event, State> lock(Account account, Lock cmd) {
    if (account.status() != Status.OPEN) {
      return reject(cmd, ResultCode.INVALID_STATUS_TRANSITION, "cannot lock a " + statusName(account) + " account");
    }
    return persistAndReply(new Locked(now()), cmd);
  }

  private ReplyEffect<Event, State> unlock(Account account, Unlock cmd) {
    if (account.status() != Status.LOCKED) {
      return reject(cmd, ResultCode.INVALID_STATUS_TRANSITION, "cannot unlock a " + statusName(account) + " account");
    }
    return persistAndReply(new Unlocked(now()), cmd);
  }

  private ReplyEffect<Event, State> close(Account account, Close cmd) {
    if (account.status() == Status.CLOSED) {
      return reject(cmd, ResultCode.INVALID_STATUS_TRANSITION, "account is already closed");
    }
    if (account.balance() != 0) {
      return reject(cmd, ResultCode.ACCOUNT_NOT_EMPTY, "balance is " + account.balance() + ", must be 0");
    }
    if (account.hasPending()) {
      return reject(cmd, ResultCode.ACCOUNT_HAS_PENDING, "account has pending transfers");
    }
    return persistAndReply(new Closed(now()), cmd);
  }

  private ReplyEffect<Event, State> update(Account account, Update cmd) {
    if (account.status() == Status.CLOSED) {
      return reject(cmd, ResultCode.ACCOUNT_CLOSED, "account is closed");
    }
    Long min = cmd.minBalance() == null ? account.minBalance() : cmd.minBalance().value();
    Long max = cmd.maxBalance() == null ? account.maxBalance() : cmd.maxBalance().value();
    Map<String, String> meta = cmd.metadata() == null ? account.metadata() : Map.copyOf(cmd.metadata());
    if (min != null && max != null && max < min) {
      return reject(cmd, ResultCode.INVALID_LIMIT, "max_balance must not be below min_balance");
    }
    if (!account.withinLimits(min, max)) {
      return reject(cmd, ResultCode.LIMIT_VIOLATED, "the current balances break the new limits");
    }
    boolean unchanged = Objects.equals(min, account.minBalance()) && Objects.equals(max, account.maxBalance())
        && meta.equals(account.metadata());
    if (unchanged) {
      return Effect().reply(cmd.replyTo(), new Accepted(account, false));
    }
    return persistAndReply(new LimitsChanged(min, max, meta, now()), cmd);
  }

  private ReplyEffect<Event, State> persistAndReply(Event event, ClientCommand cmd) {
    return persistTimed(event).thenReply(cmd.replyTo(), state -> new Accepted((Account) state, false));
  }

  private ReplyEffect<Event, State> reject(ClientCommand cmd, ResultCode code, String message) {
    return Effect().reply(cmd.replyTo(), new Rejected(code, message));
  }

  private Instant now() {
    return env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String statusName(Account account) {
    return account.status().name().toLowerCase(java.util.Locale.ROOT);
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
