package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import ledger.account.AccountEntity.Accepted;
import ledger.account.AccountEntity.Command;
import ledger.account.AccountEntity.Event;
import ledger.account.AccountEntity.LimitChange;
import ledger.account.AccountEntity.Refusal;
import ledger.account.AccountEntity.Reply;
import ledger.account.AccountEntity.State;
import ledger.core.ResultCode;
import ledger.testing.TestKits;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;

/** Every command and every refusal of AccountEntity; serialization of all messages is verified. */
public class AccountEntityTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(TestKits.eventSourced());

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:15:30.123456Z"), ZoneOffset.UTC);
  private static final AccountSpec USD = new AccountSpec("USD", 0L, null, Map.of("owner", "alice"));

  static final AccountEntity.Settings SETTINGS = new AccountEntity.Settings(3, 8, java.time.Duration.ofSeconds(5),
      java.time.Duration.ofSeconds(1), java.time.Duration.ofMinutes(10));

  private EventSourcedBehaviorTestKit<Command, Event, State> kit;
  private akka.actor.testkit.typed.javadsl.TestProbe<ledger.transfer.TransferEntity.Command> transfers;

  @Before
  public void setUp() {
    transfers = testKit.createTestProbe();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        AccountEntity.create("alice", SETTINGS, new AccountEntity.Environment(coordinators(), null, CLOCK)));
  }

  /** Coordinators that are the probe {@code transfers}. */
  private AccountEntity.Coordinators coordinators() {
    return ledger.transfer.TransferEntity.coordinators(id -> transfers.ref());
  }

  private CommandResultWithReply<Command, Event, State, Reply> create(AccountSpec spec) {
    return kit.runCommand(replyTo -> new AccountEntity.Create(spec, replyTo));
  }

  private CommandResultWithReply<Command, Event, State, Reply> update(LimitChange min, LimitChange max,
      Map<String, String> metadata) {
    return kit.runCommand(replyTo -> new AccountEntity.Update(min, max, metadata, replyTo));
  }

  private static Account accepted(CommandResultWithReply<Command, Event, State, Reply> result) {
    return ((Accepted) result.reply()).account();
  }

  private static void assertRefused(CommandResultWithReply<Command, Event, State, Reply> result, ResultCode code) {
    assertEquals(code, ((Refusal) result.reply()).code());
    assertTrue("a refusal persists nothing", result.hasNoEvents());
  }

  /** One pending leg "t-held" holding the given amounts. */
  static Map<String, PendingLeg> legs(long debit, long credit) {
    Instant t = CLOCK.instant();
    return Map.of("t-held", new PendingLeg("t-held", "USD", debit, credit, t, t.plusSeconds(3), 2L));
  }

  @Test
  public void everyChangeRecordsWhoAskedForIt() {
    var created = kit.<Reply>runCommand(replyTo -> new AccountEntity.Create(USD, "k-0123", replyTo));
    Instant at = accepted(created).createdAt();
    assertEquals(new AccountEntity.Created("alice", USD, at, "k-0123"), created.event());
    var limits = kit.<Reply>runCommand(replyTo -> new AccountEntity.Update(new LimitChange(-5L), null, null, "jwt:ops", replyTo));
    assertEquals(new AccountEntity.LimitsChanged(-5L, null, Map.of("owner", "alice"), at, "jwt:ops"), limits.event());
    var meta = kit.<Reply>runCommand(replyTo -> new AccountEntity.Update(null, null, Map.of(), "k-meta", replyTo));
    assertEquals("k-meta", ((AccountEntity.LimitsChanged) meta.event()).requestedBy());
    assertEquals(new AccountEntity.Locked(at, "k-lock"),
        kit.<Reply>runCommand(replyTo -> new AccountEntity.Lock("k-lock", replyTo)).event());
    assertEquals(new AccountEntity.Unlocked(at, "k-unlock"),
        kit.<Reply>runCommand(replyTo -> new AccountEntity.Unlock("k-unlock", replyTo)).event());
    assertEquals(new AccountEntity.Closed(at, "jwt:closer"),
        kit.<Reply>runCommand(replyTo -> new AccountEntity.Close("jwt:closer", replyTo)).event());
    assertEquals("who asked is in the journal, not in the account", kit.getState(), kit.restart().state());
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        AccountEntity.create("bob", SETTINGS, new AccountEntity.Environment(coordinators(), null, CLOCK)));
    assertNull("a command without a caller (an older node) records none",
        ((AccountEntity.Created) create(USD).event()).requestedBy());
  }

  @Test
  public void createOpensAccountAtVersionOneWithMillisecondTimes() {
    var result = create(USD);
    Accepted reply = (Accepted) result.reply();
    assertTrue(reply.created());
    Account a = reply.account();
    assertEquals(Account.Status.OPEN, a.status());
    assertEquals("USD", a.currency());
    assertEquals(Long.valueOf(0), a.minBalance());
    assertNull(a.maxBalance());
    assertEquals(Map.of("owner", "alice"), a.metadata());
    assertEquals(1, a.version());
    assertEquals(Instant.parse("2026-11-22T10:15:30.123Z"), a.createdAt());
    assertEquals(a.createdAt(), a.updatedAt());
    assertEquals(0, a.balance());
    assertEquals(0, a.available());
    assertEquals(new AccountEntity.Created("alice", USD, a.createdAt()), result.event());
  }

  @Test
  public void identicalCreateAnswersTheStoredAccountAndPersistsNothing() {
    create(USD);
    var again = create(new AccountSpec("USD", 0L, null, Map.of("owner", "alice")));
    assertFalse(((Accepted) again.reply()).created());
    assertEquals(1, accepted(again).version());
    assertTrue(again.hasNoEvents());
  }

  @Test
  public void createWithAnyDifferentFieldIsRefusedByFieldInOrder() {
    create(USD);
    assertRefused(create(new AccountSpec("EUR", 5L, 7L, Map.of())), ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY);
    assertRefused(create(new AccountSpec("USD", null, 7L, Map.of())), ResultCode.EXISTS_WITH_DIFFERENT_MIN_BALANCE);
    assertRefused(create(new AccountSpec("USD", 0L, 7L, Map.of())), ResultCode.EXISTS_WITH_DIFFERENT_MAX_BALANCE);
    assertRefused(create(new AccountSpec("USD", 0L, null, Map.of("owner", "bob"))),
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
  }

  @Test
  public void retriedCreateIsComparedWithTheOriginalRequestNotLaterChanges() {
    create(USD);
    update(new LimitChange(-100L), null, Map.of());
    var again = create(USD);
    assertFalse(((Accepted) again.reply()).created());
    assertEquals(Long.valueOf(-100), accepted(again).minBalance());
    assertRefused(create(new AccountSpec("USD", -100L, null, Map.of())), ResultCode.EXISTS_WITH_DIFFERENT_MIN_BALANCE);
  }

  @Test
  public void createWithLimitsThatZeroBreaksIsRefused() {
    assertRefused(create(new AccountSpec("USD", 1L, null, Map.of())), ResultCode.LIMIT_VIOLATED);
    assertRefused(create(new AccountSpec("USD", null, -1L, Map.of())), ResultCode.LIMIT_VIOLATED);
    assertRefused(create(new AccountSpec("USD", -5L, -10L, Map.of())), ResultCode.INVALID_LIMIT);
    assertTrue(kit.getState() instanceof AccountEntity.Empty);
  }

  @Test
  public void everyCommandOnAMissingAccountIsAccountNotFound() {
    assertRefused(kit.runCommand(AccountEntity.Get::new), ResultCode.ACCOUNT_NOT_FOUND);
    assertRefused(kit.runCommand(AccountEntity.Lock::new), ResultCode.ACCOUNT_NOT_FOUND);
    assertRefused(kit.runCommand(AccountEntity.Unlock::new), ResultCode.ACCOUNT_NOT_FOUND);
    assertRefused(kit.runCommand(AccountEntity.Close::new), ResultCode.ACCOUNT_NOT_FOUND);
    assertRefused(update(null, null, Map.of("a", "b")),
        ResultCode.ACCOUNT_NOT_FOUND);
  }

  @Test
  public void getAnswersStateWithoutChangingIt() {
    create(USD);
    var got = kit.runCommand(AccountEntity.Get::new);
    assertEquals(1, accepted(got).version());
    assertTrue(got.hasNoEvents());
  }

  @Test
  public void lockUnlockCycleBumpsVersionEachTime() {
    create(USD);
    var locked = kit.<Reply>runCommand(AccountEntity.Lock::new);
    assertEquals(Account.Status.LOCKED, accepted(locked).status());
    assertEquals(2, accepted(locked).version());
    var unlocked = kit.<Reply>runCommand(AccountEntity.Unlock::new);
    assertEquals(Account.Status.OPEN, accepted(unlocked).status());
    assertEquals(3, accepted(unlocked).version());
  }

  @Test
  public void illegalStatusChangesAreRefused() {
    create(USD);
    assertRefused(kit.runCommand(AccountEntity.Unlock::new), ResultCode.INVALID_STATUS_TRANSITION);
    kit.<Reply>runCommand(AccountEntity.Lock::new);
    assertRefused(kit.runCommand(AccountEntity.Lock::new), ResultCode.INVALID_STATUS_TRANSITION);
    kit.<Reply>runCommand(AccountEntity.Close::new);
    assertRefused(kit.runCommand(AccountEntity.Lock::new), ResultCode.INVALID_STATUS_TRANSITION);
    assertRefused(kit.runCommand(AccountEntity.Unlock::new), ResultCode.INVALID_STATUS_TRANSITION);
    assertRefused(kit.runCommand(AccountEntity.Close::new), ResultCode.INVALID_STATUS_TRANSITION);
  }

  @Test
  public void closeIsFinalAndRefusesLimitChanges() {
    create(USD);
    var closed = kit.<Reply>runCommand(AccountEntity.Close::new);
    assertEquals(Account.Status.CLOSED, accepted(closed).status());
    assertRefused(update(new LimitChange(-1L), null, null),
        ResultCode.ACCOUNT_CLOSED);
    assertEquals(Account.Status.CLOSED, accepted(kit.runCommand(AccountEntity.Get::new)).status());
  }

  @Test
  public void closeNeedsZeroBalanceAndNoPendingLegs() {
    Instant t = CLOCK.instant();
    kit.initialize(new Account("alice", USD, Account.Status.OPEN, null, null, Map.of(), 0, 10, 0, 0, Map.of(), 4, t, t));
    assertRefused(kit.runCommand(AccountEntity.Close::new), ResultCode.ACCOUNT_NOT_EMPTY);
    kit.initialize(new Account("alice", USD, Account.Status.OPEN, null, null, Map.of(), 5, 5, 3, 0, legs(3, 0), 4, t, t));
    assertRefused(kit.runCommand(AccountEntity.Close::new), ResultCode.ACCOUNT_HAS_PENDING);
    kit.initialize(new Account("alice", USD, Account.Status.LOCKED, null, null, Map.of(), 7, 7, 0, 0, Map.of(), 4, t, t));
    var closed = kit.<Reply>runCommand(AccountEntity.Close::new);
    assertEquals(Account.Status.CLOSED, accepted(closed).status());
    assertEquals(5, accepted(closed).version());
  }

  @Test
  public void updateChecksNewLimitsAgainstNonZeroBalances() {
    Instant t = CLOCK.instant();
    // balance 70, available 50 (20 pending debit), credits incl. pending minus debits = 85.
    kit.initialize(new Account("alice", USD, Account.Status.OPEN, 0L, null, Map.of(), 30, 100, 20, 15, legs(20, 15), 4, t, t));
    assertRefused(update(new LimitChange(51L), null, null),
        ResultCode.LIMIT_VIOLATED);
    assertRefused(update(null, new LimitChange(84L), null),
        ResultCode.LIMIT_VIOLATED);
    var ok = update(new LimitChange(50L), new LimitChange(85L), null);
    assertEquals(Long.valueOf(50), accepted(ok).minBalance());
    assertEquals(5, accepted(ok).version());
  }

  @Test
  public void updateChangesLimitsAndMetadataAndLeavesAbsentFieldsAlone() {
    create(USD);
    var r = update(new LimitChange(null), new LimitChange(500L), null);
    Account a = accepted(r);
    assertNull(a.minBalance());
    assertEquals(Long.valueOf(500), a.maxBalance());
    assertEquals(Map.of("owner", "alice"), a.metadata());
    assertEquals(2, a.version());
    var meta = update(null, null, Map.of("tier", "gold"));
    assertEquals(Map.of("tier", "gold"), accepted(meta).metadata());
    assertEquals(Long.valueOf(500), accepted(meta).maxBalance());
    assertEquals(3, accepted(meta).version());
  }

  @Test
  public void updateThatChangesNothingPersistsNothing() {
    create(USD);
    var r = update(new LimitChange(0L), null, Map.of("owner", "alice"));
    assertEquals(1, accepted(r).version());
    assertTrue(r.hasNoEvents());
  }

  @Test
  public void updateRefusesLimitsTheCurrentBalancesBreakOrThatCross() {
    create(USD);
    assertRefused(update(new LimitChange(1L), null, null),
        ResultCode.LIMIT_VIOLATED);
    assertRefused(update(new LimitChange(null), new LimitChange(-1L), null),
        ResultCode.LIMIT_VIOLATED);
    assertRefused(update(new LimitChange(-5L), new LimitChange(-10L), null),
        ResultCode.INVALID_LIMIT);
    update(null, new LimitChange(100L), null);
    // min above the stored max: the combination is checked, not just the fields sent.
    assertRefused(update(new LimitChange(150L), null, null),
        ResultCode.INVALID_LIMIT);
    assertEquals(2, accepted(kit.runCommand(AccountEntity.Get::new)).version());
  }

  @Test
  public void limitsAreCheckedAgainstAvailableAndPendingCredits() {
    Instant t = CLOCK.instant();
    // credits_posted 100, debits_posted 30, debits_pending 20, credits_pending 15.
    Account a = new Account("alice", USD, Account.Status.OPEN, 0L, null, Map.of(), 30, 100, 20, 15, legs(20, 15), 2, t, t);
    assertEquals(70, a.balance());
    assertEquals(50, a.available());
    assertTrue(a.withinLimits(50L, null));
    assertFalse(a.withinLimits(51L, null));
    assertTrue(a.withinLimits(null, 85L)); // 100 + 15 - 30
    assertFalse(a.withinLimits(null, 84L));
    Account extreme = new Account("alice", USD, Account.Status.OPEN, null, null, Map.of(),
        Long.MAX_VALUE, 0, Long.MAX_VALUE, 0, legs(Long.MAX_VALUE, 0), 2, t, t);
    assertFalse("overflowing arithmetic never passes a limit", extreme.withinLimits(Long.MIN_VALUE, null));
  }

  @Test
  public void replayRebuildsExactlyTheSameStateAcrossSnapshots() {
    create(USD);
    kit.<Reply>runCommand(AccountEntity.Lock::new);
    kit.<Reply>runCommand(AccountEntity.Unlock::new);
    update(new LimitChange(-20L), new LimitChange(900L), Map.of("x", "y"));
    kit.<Reply>runCommand(AccountEntity.Lock::new);
    State before = kit.getState();
    assertEquals(5, ((Account) before).version());
    kit.restart();
    assertEquals(before, kit.getState());
  }

  @Test
  public void tagsAreStableAndWithinTheConfiguredCount() {
    assertEquals("account-" + Math.floorMod("alice".hashCode(), 8), AccountEntity.tag("alice", 8));
    var result = create(USD);
    assertEquals(1, result.events().size());
    for (int i = 0; i < 1000; i++) {
      int n = Integer.parseInt(AccountEntity.tag("acc-" + i, 8).substring("account-".length()));
      assertTrue(n >= 0 && n < 8);
    }
  }

  @Test
  public void anEntityOfAnAccountThatDoesNotExistAnswersAndPassivatesAtOnce() {
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    ActorRef<Command> ghost = testKit.spawn(AccountEntity.create("ghost", SETTINGS,
        new AccountEntity.Environment(coordinators(), shard.ref(), CLOCK)));
    TestProbe<Reply> replies = testKit.createTestProbe();
    TestProbe<AccountEntity.PrepareReply> prepared = testKit.createTestProbe();
    for (Command c : List.<Command>of(new AccountEntity.Get(replies.ref()), new AccountEntity.Lock(replies.ref()),
        new AccountEntity.Update(null, null, Map.of("k", "v"), replies.ref()))) {
      ghost.tell(c);
      assertEquals(ResultCode.ACCOUNT_NOT_FOUND, ((Refusal) replies.receiveMessage()).code());
      assertEquals(new ClusterSharding.Passivate<>(ghost), shard.receiveMessage());
    }
    ghost.tell(new AccountEntity.Prepare("t1", List.of(new Posting(Posting.Side.CREDIT,
        5, "USD")), CLOCK.instant().plusSeconds(3), false, prepared.ref()));
    assertEquals(new AccountEntity.Refused("ghost", "t1", ResultCode.ACCOUNT_NOT_FOUND), prepared.receiveMessage());
    assertEquals(new ClusterSharding.Passivate<>(ghost), shard.receiveMessage());

    // Once created, it stays (it passivates only when idle and holding nothing).
    ghost.tell(new AccountEntity.Create(USD, replies.ref()));
    assertTrue(((Accepted) replies.receiveMessage()).created());
    ghost.tell(new AccountEntity.Get(replies.ref()));
    assertEquals(1, ((Accepted) replies.receiveMessage()).account().version());
    shard.expectNoMessage(java.time.Duration.ofMillis(200));
  }
}
