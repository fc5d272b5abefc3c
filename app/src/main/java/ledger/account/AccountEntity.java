package ledger.account;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.RetentionCriteria;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import ledger.account.Account.Status;
import ledger.core.CborSerializable;
import ledger.core.ResultCode;

/**
 * One sharded, event-sourced entity per account. Every refusal is a reply and persists
 * nothing; every accepted change is one event and bumps the version by one. Event handlers
 * are pure: an event that does not fit the state is a bug and fails loudly.
 */
public final class AccountEntity
    extends EventSourcedBehaviorWithEnforcedReplies<AccountEntity.Command, AccountEntity.Event, AccountEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Account");

  // ---- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {
    ActorRef<Reply> replyTo();
  }

  public record Create(AccountSpec spec, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public record Lock(ActorRef<Reply> replyTo) implements Command {}

  public record Unlock(ActorRef<Reply> replyTo) implements Command {}

  public record Close(ActorRef<Reply> replyTo) implements Command {}

  /** A null field leaves that part unchanged; a {@link LimitChange} of null sets "unbounded". */
  public record Update(LimitChange minBalance, LimitChange maxBalance, Map<String, String> metadata,
                       ActorRef<Reply> replyTo) implements Command {}

  public record LimitChange(Long value) implements CborSerializable {}

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

  public record Settings(int snapshotEveryEvents, int tagCount) {
    public Settings {
      if (snapshotEveryEvents < 1 || tagCount < 1) {
        throw new IllegalArgumentException("snapshot cadence and tag count must be positive");
      }
    }

    public static Settings fromConfig(com.typesafe.config.Config root) {
      return new Settings(
          root.getInt("ledger.account.snapshot-every-events"),
          root.getInt("ledger.projection.tag-count"));
    }
  }

  public static Behavior<Command> create(String accountId, Settings settings, Clock clock) {
    return Behaviors.setup(ctx -> new AccountEntity(accountId, settings, clock));
  }

  public static PersistenceId persistenceId(String accountId) {
    return PersistenceId.of(TYPE_KEY.name(), accountId);
  }

  /** The projection tag of an account: stable (String.hashCode is specified) and fixed-size. */
  public static String tag(String accountId, int tagCount) {
    return "account-" + Math.floorMod(accountId.hashCode(), tagCount);
  }

  private final String accountId;
  private final Settings settings;
  private final Clock clock;

  private AccountEntity(String accountId, Settings settings, Clock clock) {
    super(persistenceId(accountId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
    this.accountId = Objects.requireNonNull(accountId);
    this.settings = settings;
    this.clock = clock;
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
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Empty.class)
        .onCommand(Create.class, (state, cmd) -> persistCreated(cmd))
        .onAnyCommand((state, cmd) -> reject(cmd, ResultCode.ACCOUNT_NOT_FOUND, "account " + accountId + " does not exist"));
    builder.forStateType(Account.class)
        .onCommand(Create.class, this::createAgain)
        .onCommand(Get.class, (account, cmd) -> Effect().reply(cmd.replyTo(), new Accepted(account, false)))
        .onCommand(Lock.class, this::lock)
        .onCommand(Unlock.class, this::unlock)
        .onCommand(Close.class, this::close)
        .onCommand(Update.class, this::update);
    return builder.build();
  }

  private ReplyEffect<Event, State> persistCreated(Create cmd) {
    AccountSpec spec = cmd.spec();
    if (spec.minBalance() != null && spec.maxBalance() != null && spec.maxBalance() < spec.minBalance()) {
      return reject(cmd, ResultCode.INVALID_LIMIT, "max_balance must not be below min_balance");
    }
    Instant at = now();
    if (!Account.opened(accountId, spec, at).withinLimits(spec.minBalance(), spec.maxBalance())) {
      return reject(cmd, ResultCode.LIMIT_VIOLATED, "a new account has balance 0, which these limits forbid");
    }
    return Effect().persist(new Created(accountId, spec, at))
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

  private ReplyEffect<Event, State> persistAndReply(Event event, Command cmd) {
    return Effect().persist(event).thenReply(cmd.replyTo(), state -> new Accepted((Account) state, false));
  }

  private ReplyEffect<Event, State> reject(Command cmd, ResultCode code, String message) {
    return Effect().reply(cmd.replyTo(), new Rejected(code, message));
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String statusName(Account account) {
    return account.status().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Empty.class)
        .onEvent(Created.class, (empty, e) -> Account.opened(e.accountId(), e.spec(), e.at()));
    builder.forStateType(Account.class)
        .onEvent(Locked.class, (a, e) -> a.withStatus(Status.LOCKED, e.at()))
        .onEvent(Unlocked.class, (a, e) -> a.withStatus(Status.OPEN, e.at()))
        .onEvent(Closed.class, (a, e) -> a.withStatus(Status.CLOSED, e.at()))
        .onEvent(LimitsChanged.class, (a, e) -> a.withLimits(e.minBalance(), e.maxBalance(), e.metadata(), e.at()));
    return builder.build();
  }
}
