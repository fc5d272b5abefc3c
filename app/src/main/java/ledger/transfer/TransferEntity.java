package ledger.transfer;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.RecipientRef;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.Recovery;
import akka.persistence.typed.SnapshotSelectionCriteria;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.RecoveryFailed;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.SignalHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Resolution;
import ledger.account.Posting;
import ledger.core.CborSerializable;
import ledger.core.ResultCode;
import ledger.metrics.Metrics;
import ledger.transfer.Transfer.Rejection;
import ledger.transfer.Transfer.Status;

/**
 * One sharded, event-sourced entity per transfer id: the coordinator of that transfer and its
 * permanent idempotency record. Try/confirm/cancel: Prepare on every account (round 1), persist
 * the decision (round 2, the commit point, then the client is answered), then Post or Void
 * until every account has acknowledged. Before the decision nothing is persisted here: a
 * coordinator that dies mid-prepare leaves only pending legs, which their accounts resolve by
 * asking again ({@link Resolve}); an undecided id is then decided rejected (presumed abort).
 */
public final class TransferEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TransferEntity.Command, TransferEntity.Event, TransferEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Transfer");
  private static final String PREPARE_TIMER = "prepare-deadline";
  private static final String DRIVE_TIMER = "drive";
  private static final String EXPIRY_TIMER = "expiry";

  // ---- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  // A client's command names who asked ({@code requestedBy}: an API key id or "jwt:<subject>";
  // null: not known, e.g. from a node that predates the field); the event it writes keeps it.

  public record Create(TransferRequest request, String requestedBy, ActorRef<Reply> replyTo) implements Command {
    public Create(TransferRequest request, ActorRef<Reply> replyTo) {
      this(request, null, replyTo);
    }
  }

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Post a pending transfer, in full or (one leg only) {@code amount} of it. */
  public record PostPending(Long amount, String requestedBy, ActorRef<Reply> replyTo) implements Command {
    public PostPending(Long amount, ActorRef<Reply> replyTo) {
      this(amount, null, replyTo);
    }
  }

  public record VoidPending(String requestedBy, ActorRef<Reply> replyTo) implements Command {
    public VoidPending(ActorRef<Reply> replyTo) {
      this(null, replyTo);
    }
  }

  /** An account asks about a leg left undecided past the bound (presumed abort). */
  public record Resolve(String transferId, String accountId, ActorRef<AccountEntity.Command> account)
      implements Command {}

  record PrepareAnswer(AccountEntity.PrepareReply reply) implements Command {}

  record Acked(AccountEntity.LegAck ack) implements Command {}

  record PrepareDeadline() implements Command {}

  record DriveTick() implements Command {}

  record ExpiryTick() implements Command {}

  public sealed interface Reply extends CborSerializable {}

  /** The transfer as it stands; {@code created} when this very request decided it. */
  public record Done(Transfer transfer, boolean created) implements Reply {}

  public record Failed(ResultCode code, String message) implements Reply {}

  // ---- events and state -----------------------------------------------------------------

  public sealed interface Event extends CborSerializable {}

  // Who asked ({@code requestedBy}, as on the command): the first Create of a decision, the
  // PostPending or VoidPending; null for a presumed abort or expiry (nobody asked) and in events
  // persisted before it was recorded, which replay as before.

  /** The commit point: the transfer as decided (pending, posted or rejected). */
  public record Decided(Transfer transfer, String requestedBy) implements Event {
    public Decided(Transfer transfer) {
      this(transfer, null);
    }
  }

  public record PendingPosted(Long amount, Instant at, String requestedBy) implements Event {
    public PendingPosted(Long amount, Instant at) {
      this(amount, at, null);
    }
  }

  public record PendingVoided(Instant at, String requestedBy) implements Event {
    public PendingVoided(Instant at) {
      this(at, null);
    }
  }

  public record PendingExpired(Instant at) implements Event {}

  public sealed interface State extends CborSerializable permits Undecided, Transfer {}

  /** No decision persisted (the prepare round, if any, lives only in memory). */
  public record Undecided() implements State {}

  // ---- behaviour ------------------------------------------------------------------------

  /**
   * journalPluginId: the journal of coordinators ("" for the default one); tagCount 0: their
   * events are not tagged (the read side is built from account events).
   */
  public record Settings(Duration prepareTimeout, Duration driveRetryInterval, Duration driveRetryMax,
                         int tagCount, String journalPluginId) {
    public Settings(Duration prepareTimeout, Duration driveRetryInterval, Duration driveRetryMax, int tagCount) {
      this(prepareTimeout, driveRetryInterval, driveRetryMax, tagCount, "");
    }

    public static Settings fromConfig(com.typesafe.config.Config root) {
      String plugin = ledger.journal.Journals.transferPluginId(root);
      String tagsEnabled = plugin.replaceAll("\\.journal$", "") + ".events-by-tag.enabled";
      boolean tagged = plugin.isEmpty() || !root.hasPath(tagsEnabled) || root.getBoolean(tagsEnabled);
      return new Settings(
          root.getDuration("ledger.transfer.prepare-timeout"),
          root.getDuration("ledger.transfer.drive-retry-interval"),
          root.getDuration("ledger.transfer.drive-retry-max"),
          tagged ? root.getInt("ledger.projection.tag-count") : 0,
          plugin);
    }
  }

  /**
   * The accounts of the cluster, the entity's shard (to passivate once its work is done; null
   * outside sharding) and the clock.
   */
  public record Environment(Function<String, RecipientRef<AccountEntity.Command>> accounts,
                            ActorRef<ClusterSharding.ShardCommand> shard, Clock clock) {}

  /** How accounts reach their coordinators: a {@link Resolve} to the transfer's entity. */
  public static AccountEntity.Coordinators coordinators(Function<String, RecipientRef<Command>> transfers) {
    return (transferId, accountId, account) -> transfers.apply(transferId)
        .tell(new Resolve(transferId, accountId, account));
  }

  public static Behavior<Command> create(String transferId, Settings settings, Environment env) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new TransferEntity(transferId, settings, env, ctx, timers)));
  }

  public static PersistenceId persistenceId(String transferId) {
    return PersistenceId.of(TYPE_KEY.name(), transferId);
  }

  public static String tag(String transferId, int tagCount) {
    return "transfer-" + Math.floorMod(transferId.hashCode(), tagCount);
  }

  /**
   * The prepare round in progress: in memory only, by design (see the class comment).
   * {@code requestedBy}: who sent the Create that started it.
   */
  private record Preparing(TransferRequest request, String requestedBy, List<String> accounts,
                           List<ActorRef<Reply>> waiters, Instant createdAt, Instant deadline,
                           Map<String, AccountEntity.PrepareReply> answers) {}

  private final String transferId;
  private final Settings settings;
  private final Environment env;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<AccountEntity.PrepareReply> prepareAdapter;
  private final ActorRef<AccountEntity.LegAck> ackAdapter;
  private Preparing preparing;
  /** Accounts that have not yet acknowledged the Post/Void of the decided transfer. */
  private final Set<String> unacked = new HashSet<>();
  /** The current resend interval; doubles up to driveRetryMax while accounts stay silent. */
  private Duration driveInterval;

  private TransferEntity(String transferId, Settings settings, Environment env, ActorContext<Command> ctx,
                         TimerScheduler<Command> timers) {
    super(persistenceId(transferId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
    this.transferId = transferId;
    this.settings = settings;
    this.env = env;
    this.ctx = ctx;
    this.timers = timers;
    this.prepareAdapter = ctx.messageAdapter(AccountEntity.PrepareReply.class, PrepareAnswer::new);
    this.ackAdapter = ctx.messageAdapter(AccountEntity.LegAck.class, Acked::new);
  }

  @Override
  public State emptyState() {
    return new Undecided();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return settings.tagCount() == 0 ? Set.of() : Set.of(tag(transferId, settings.tagCount()));
  }

  @Override
  public String journalPluginId() {
    return settings.journalPluginId();
  }

  /** A transfer has at most two events and is never snapshotted: skip the snapshot read. */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryFailed.class, (state, signal) ->
            Metrics.get(ctx.getSystem()).recoveryFailed(TYPE_KEY.name(), signal.getFailure()))
        .onSignal(RecoveryCompleted.instance(), state -> {
          // A restart after a journal failure re-runs recovery on this same instance: an
          // undecided prepare round is forgotten (its callers time out and retry; its accounts'
          // legs are re-confirmed by a retry or presumed aborted).
          preparing = null;
          unacked.clear();
          timers.cancel(PREPARE_TIMER);
          if (state instanceof Transfer t) {
            afterDecision(t);
          }
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Undecided.class)
        .onCommand(Create.class, this::createUndecided)
        .onCommand(PrepareAnswer.class, this::prepareAnswer)
        .onCommand(PrepareDeadline.class, (s, c) -> preparing == null ? Effect().noReply() : decide())
        .onCommand(Resolve.class, this::resolveUndecided)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), notDecided()))
        .onCommand(PostPending.class, (s, c) -> Effect().reply(c.replyTo(), notDecided()))
        .onCommand(VoidPending.class, (s, c) -> Effect().reply(c.replyTo(), notDecided()))
        .onAnyCommand((s, c) -> Effect().noReply());
    builder.forStateType(Transfer.class)
        .onCommand(Create.class, this::createAgain)
        .onCommand(Get.class, (t, c) -> Effect().reply(c.replyTo(), new Done(t, false)))
        .onCommand(PostPending.class, this::postPending)
        .onCommand(VoidPending.class, this::voidPending)
        .onCommand(Resolve.class, this::resolveDecided)
        .onCommand(Acked.class, this::acked)
        .onCommand(DriveTick.class, this::driveTick)
        .onCommand(ExpiryTick.class, this::expiryTick)
        .onAnyCommand((s, c) -> Effect().noReply());
    return builder.build();
  }

  // ---- round 1: prepare -----------------------------------------------------------------

  private ReplyEffect<Event, State> createUndecided(Undecided state, Create cmd) {
    if (preparing != null) {
      ResultCode difference = preparing.request().firstDifference(cmd.request());
      if (difference != null) {
        return Effect().reply(cmd.replyTo(), new Failed(difference, "transfer " + transferId + " exists with other fields"));
      }
      preparing.waiters().add(cmd.replyTo());
      return Effect().noReply();
    }
    Instant at = now();
    Instant deadline = at.plus(settings.prepareTimeout());
    List<ActorRef<Reply>> waiters = new ArrayList<>();
    waiters.add(cmd.replyTo());
    Map<String, List<Posting>> postings = cmd.request().postingsByAccount();
    preparing = new Preparing(cmd.request(), cmd.requestedBy(), List.copyOf(postings.keySet()), waiters, at, deadline,
        new HashMap<>());
    postings.forEach((accountId, held) -> env.accounts().apply(accountId)
        .tell(new AccountEntity.Prepare(transferId, held, deadline, cmd.request().pending(), prepareAdapter)));
    timers.startSingleTimer(PREPARE_TIMER, new PrepareDeadline(), settings.prepareTimeout());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> prepareAnswer(Undecided state, PrepareAnswer answer) {
    if (preparing == null) {
      return Effect().noReply(); // a late answer after a restart: the accounts ask again if it matters
    }
    preparing.answers().put(answer.reply().accountId(), answer.reply());
    if (preparing.answers().keySet().containsAll(preparing.accounts())) {
      return decide();
    }
    return Effect().noReply();
  }

  // ---- round 2: decide (the commit point) -----------------------------------------------

  /** All answered, or the deadline passed: the first refusal in precedence order decides. */
  private ReplyEffect<Event, State> decide() {
    Preparing p = preparing;
    Rejection rejection = null;
    for (String accountId : p.accounts()) {
      AccountEntity.PrepareReply answer = p.answers().get(accountId);
      if (answer == null) {
        rejection = new Rejection(ResultCode.TRANSFER_TIMED_OUT, accountId);
      } else if (answer instanceof AccountEntity.Refused refused) {
        rejection = new Rejection(refused.code(), accountId);
      }
      if (rejection != null) {
        break;
      }
    }
    Instant at = now();
    Status status = rejection != null ? Status.REJECTED : p.request().pending() ? Status.PENDING : Status.POSTED;
    Instant expiresAt = status == Status.PENDING ? at.plusSeconds(p.request().timeoutSeconds()) : null;
    Transfer decided = new Transfer(transferId, p.request(), status, rejection, null, p.createdAt(), at, expiresAt);
    timers.cancel(PREPARE_TIMER);
    return Effect().persist(new Decided(decided, p.requestedBy()))
        .thenRun(s -> {
          preparing = null;
          for (int i = 0; i < p.waiters().size(); i++) {
            p.waiters().get(i).tell(new Done(decided, i == 0));
          }
          afterDecision(decided);
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> createAgain(Transfer t, Create cmd) {
    ResultCode difference = t.request() == null ? null : t.request().firstDifference(cmd.request());
    if (difference != null) {
      return Effect().reply(cmd.replyTo(), new Failed(difference, "transfer " + transferId + " exists with other fields"));
    }
    return Effect().reply(cmd.replyTo(), new Done(t, false));
  }

  // ---- round 3: post or void until every account acknowledged --------------------------

  /** After a decision, or on recovery: drive the accounts, or wait for expiry. */
  private void afterDecision(Transfer t) {
    if (t.status() == Status.PENDING) {
      Duration untilExpiry = Duration.between(env.clock().instant(), t.expiresAt());
      timers.startSingleTimer(EXPIRY_TIMER, new ExpiryTick(), untilExpiry.isNegative() ? Duration.ZERO : untilExpiry);
      return;
    }
    timers.cancel(EXPIRY_TIMER);
    unacked.clear();
    if (t.request() != null) {
      unacked.addAll(t.request().postingsByAccount().keySet());
    }
    if (unacked.isEmpty()) {
      passivate(); // a presumed-abort record: each account asks for itself
      return;
    }
    sendToUnacked(t);
    driveInterval = settings.driveRetryInterval();
    timers.startSingleTimer(DRIVE_TIMER, new DriveTick(), driveInterval);
  }

  private void sendToUnacked(Transfer t) {
    for (String accountId : unacked) {
      AccountEntity.Command command = t.posts()
          ? new AccountEntity.PostLeg(transferId, t.postedAmount(), ackAdapter)
          : new AccountEntity.VoidLeg(transferId, ackAdapter);
      env.accounts().apply(accountId).tell(command);
    }
  }

  private ReplyEffect<Event, State> driveTick(Transfer t, DriveTick tick) {
    if (!unacked.isEmpty()) {
      sendToUnacked(t);
      Duration doubled = driveInterval.multipliedBy(2);
      driveInterval = doubled.compareTo(settings.driveRetryMax()) > 0 ? settings.driveRetryMax() : doubled;
      timers.startSingleTimer(DRIVE_TIMER, new DriveTick(), driveInterval);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> acked(Transfer t, Acked acked) {
    if (unacked.remove(acked.ack().accountId()) && unacked.isEmpty()) {
      timers.cancel(DRIVE_TIMER);
      passivate();
    }
    return Effect().noReply();
  }

  /**
   * A finished transfer leaves memory at once (its record stays in the journal): at a thousand
   * transfers a second, keeping each one for the default idle time would fill the heap.
   */
  private void passivate() {
    if (env.shard() != null) {
      env.shard().tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
  }

  // ---- two-phase: post, void, expiry ----------------------------------------------------

  private ReplyEffect<Event, State> postPending(Transfer t, PostPending cmd) {
    if (t.status() == Status.PENDING && isExpired(t)) {
      return expireAndReply(cmd.replyTo());
    }
    if (t.status() == Status.POSTED && t.request().pending() && samePost(t, cmd.amount())) {
      return Effect().reply(cmd.replyTo(), new Done(t, false)); // a retried post
    }
    if (t.status() != Status.PENDING) {
      return Effect().reply(cmd.replyTo(), notPending(t));
    }
    Long amount = cmd.amount();
    if (amount != null) {
      if (amount < 1) {
        return Effect().reply(cmd.replyTo(), new Failed(ResultCode.INVALID_AMOUNT, "amount must be at least 1"));
      }
      if (t.request().legs().size() != 1) {
        return Effect().reply(cmd.replyTo(), new Failed(ResultCode.INVALID_AMOUNT,
            "a partial amount can only post a one-leg transfer"));
      }
      if (amount > t.request().legs().get(0).amount()) {
        return Effect().reply(cmd.replyTo(), new Failed(ResultCode.EXCEEDS_PENDING_AMOUNT,
            "amount exceeds the pending amount " + t.request().legs().get(0).amount()));
      }
      if (amount == t.request().legs().get(0).amount()) {
        amount = null; // the full amount is a full post
      }
    }
    return Effect().persist(new PendingPosted(amount, now(), cmd.requestedBy()))
        .thenRun(s -> afterDecision((Transfer) s))
        .thenReply(cmd.replyTo(), s -> new Done((Transfer) s, false));
  }

  private static boolean samePost(Transfer t, Long amount) {
    long full = t.request().legs().size() == 1 ? t.request().legs().get(0).amount() : -1;
    Long posted = t.postedAmount();
    boolean postedInFull = posted == null;
    return amount == null ? postedInFull : (postedInFull ? amount == full : amount.equals(posted));
  }

  private ReplyEffect<Event, State> voidPending(Transfer t, VoidPending cmd) {
    if (t.status() == Status.PENDING && isExpired(t)) {
      return expireAndReply(cmd.replyTo());
    }
    if (t.status() == Status.VOIDED) {
      return Effect().reply(cmd.replyTo(), new Done(t, false)); // a retried void
    }
    if (t.status() != Status.PENDING) {
      return Effect().reply(cmd.replyTo(), notPending(t));
    }
    return Effect().persist(new PendingVoided(now(), cmd.requestedBy()))
        .thenRun(s -> afterDecision((Transfer) s))
        .thenReply(cmd.replyTo(), s -> new Done((Transfer) s, false));
  }

  private ReplyEffect<Event, State> expiryTick(Transfer t, ExpiryTick tick) {
    if (t.status() != Status.PENDING) {
      return Effect().noReply();
    }
    if (!isExpired(t)) {
      afterDecision(t); // woke early: sleep again until expires_at
      return Effect().noReply();
    }
    return Effect().persist(new PendingExpired(now())).thenRun(s -> afterDecision((Transfer) s)).thenNoReply();
  }

  private ReplyEffect<Event, State> expireAndReply(ActorRef<Reply> replyTo) {
    return Effect().persist(new PendingExpired(now()))
        .thenRun(s -> afterDecision((Transfer) s))
        .thenReply(replyTo, s -> new Failed(ResultCode.TRANSFER_EXPIRED, "transfer " + transferId + " has expired"));
  }

  private boolean isExpired(Transfer t) {
    return !env.clock().instant().isBefore(t.expiresAt());
  }

  private static Failed notPending(Transfer t) {
    if (t.status() == Status.EXPIRED) {
      return new Failed(ResultCode.TRANSFER_EXPIRED, "transfer " + t.id() + " has expired");
    }
    return new Failed(ResultCode.TRANSFER_NOT_PENDING,
        "transfer " + t.id() + " is " + t.status().wire());
  }

  private Failed notDecided() {
    if (preparing != null) {
      return new Failed(ResultCode.UNAVAILABLE, "transfer " + transferId + " is being decided; retry");
    }
    return new Failed(ResultCode.TRANSFER_NOT_FOUND, "transfer " + transferId + " does not exist");
  }

  // ---- presumed abort -------------------------------------------------------------------

  private ReplyEffect<Event, State> resolveUndecided(Undecided state, Resolve r) {
    if (preparing != null) {
      if (now().isBefore(preparing.deadline())) {
        r.account().tell(new Resolution(transferId, Resolution.Outcome.WAIT, null,
            preparing.deadline().plus(settings.prepareTimeout())));
        return Effect().noReply();
      }
      return decide(); // its RecoveryCompleted-free path drives the accounts, the asker included
    }
    // No decision and no prepare round: the coordinator died before deciding. Abort for good.
    Instant at = now();
    Transfer aborted = new Transfer(transferId, null, Status.REJECTED,
        new Rejection(ResultCode.TRANSFER_TIMED_OUT, r.accountId()), null, at, at, null);
    return Effect().persist(new Decided(aborted))
        .thenRun(s -> r.account().tell(new Resolution(transferId, Resolution.Outcome.VOID, null, null)))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> resolveDecided(Transfer t, Resolve r) {
    if (t.request() == null || !t.request().postingsByAccount().containsKey(r.accountId())) {
      // A leg left by an earlier, undecided attempt with another request under this id: it is
      // not part of what was decided, so it must be released, never posted.
      r.account().tell(new Resolution(transferId, Resolution.Outcome.VOID, null, null));
      return Effect().noReply();
    }
    if (t.status() == Status.PENDING) {
      if (isExpired(t)) {
        return Effect().persist(new PendingExpired(now()))
            .thenRun(s -> {
              afterDecision((Transfer) s);
              r.account().tell(new Resolution(transferId, Resolution.Outcome.VOID, null, null));
            })
            .thenNoReply();
      }
      r.account().tell(new Resolution(transferId, Resolution.Outcome.WAIT, null, t.expiresAt()));
      return Effect().noReply();
    }
    r.account().tell(t.posts()
        ? new Resolution(transferId, Resolution.Outcome.POST, t.postedAmount(), null)
        : new Resolution(transferId, Resolution.Outcome.VOID, null, null));
    return Effect().noReply();
  }

  private Instant now() {
    return env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Undecided.class)
        .onEvent(Decided.class, (s, e) -> e.transfer());
    builder.forStateType(Transfer.class)
        .onEvent(PendingPosted.class, (t, e) -> t.with(Status.POSTED, e.amount(), e.at()))
        .onEvent(PendingVoided.class, (t, e) -> t.with(Status.VOIDED, null, e.at()))
        .onEvent(PendingExpired.class, (t, e) -> t.with(Status.EXPIRED, null, e.at()));
    return builder.build();
  }
}
