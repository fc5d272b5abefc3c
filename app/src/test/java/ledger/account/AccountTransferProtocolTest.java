package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import ledger.account.AccountEntity.Accepted;
import ledger.account.AccountEntity.Command;
import ledger.account.AccountEntity.Event;
import ledger.account.AccountEntity.LegAck;
import ledger.account.AccountEntity.LegPosted;
import ledger.account.AccountEntity.LegPrepared;
import ledger.account.AccountEntity.LegVoided;
import ledger.account.AccountEntity.PrepareReply;
import ledger.account.AccountEntity.Prepared;
import ledger.account.AccountEntity.Refused;
import ledger.account.AccountEntity.Refusal;
import ledger.account.AccountEntity.Reply;
import ledger.account.AccountEntity.Resolution;
import ledger.account.AccountEntity.State;
import ledger.core.ResultCode;
import ledger.testing.MutableClock;
import ledger.testing.TestKits;
import ledger.transfer.TransferEntity;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The account side of the transfer protocol: Prepare (every refusal, in precedence order),
 * PostLeg/VoidLeg at most once, partial posts, Resolution, and the presumed-abort timer. Every
 * counter is asserted exactly, and the entity is restarted after each step to prove that replay
 * (with snapshots every 3 events) rebuilds exactly the same state. The clock stands still unless a
 * test moves it, so the 100 ms CheckPending timer only asks about legs when a test says so.
 */
public class AccountTransferProtocolTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(TestKits.eventSourced());

  private static final Instant T0 = Instant.parse("2026-11-22T10:15:30.123Z");
  private static final Instant DEADLINE = T0.plusSeconds(3);
  private static final Duration BOUND = Duration.ofMillis(300);
  private static final Duration CHECK = Duration.ofMillis(100);
  private static final AccountEntity.Settings SETTINGS =
      new AccountEntity.Settings(3, 8, BOUND, CHECK, Duration.ofMinutes(10));
  private static final long MAX = Long.MAX_VALUE;
  private static final AtomicInteger SEQ = new AtomicInteger();

  private MutableClock clock;
  private TestProbe<TransferEntity.Command> transfers;
  private String id;
  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @Before
  public void setUp() {
    clock = new MutableClock(T0);
    transfers = testKit.createTestProbe();
    // A fresh id per test: the in-memory snapshot store outlives each kit.
    id = "acct-" + SEQ.incrementAndGet();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        AccountEntity.create(id, SETTINGS,
            new AccountEntity.Environment(TransferEntity.coordinators(t -> transfers.ref()), null, clock)));
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static Posting debit(long amount) {
    return new Posting(Posting.Side.DEBIT, amount, "USD");
  }

  private static Posting credit(long amount) {
    return new Posting(Posting.Side.CREDIT, amount, "USD");
  }

  private static Posting debitEur(long amount) {
    return new Posting(Posting.Side.DEBIT, amount, "EUR");
  }

  private static Posting creditEur(long amount) {
    return new Posting(Posting.Side.CREDIT, amount, "EUR");
  }

  private Account open(Long minBalance, Long maxBalance) {
    CommandResultWithReply<Command, Event, State, Reply> r = kit.runCommand(
        replyTo -> new AccountEntity.Create(new AccountSpec("USD", minBalance, maxBalance, Map.of()), replyTo));
    Account a = ((Accepted) r.reply()).account();
    assertEquals(1, a.version());
    return a;
  }

  private CommandResultWithReply<Command, Event, State, PrepareReply> prepare(String tid, Posting... postings) {
    return prepareBy(tid, DEADLINE, postings);
  }

  private CommandResultWithReply<Command, Event, State, PrepareReply> prepareBy(String tid, Instant deadline,
                                                                               Posting... postings) {
    return kit.runCommand(replyTo -> new AccountEntity.Prepare(tid, List.of(postings), deadline, true, replyTo));
  }

  /** Prepared with exactly one LegPrepared event holding these sums, prepared now. */
  private Account assertHeld(CommandResultWithReply<Command, Event, State, PrepareReply> r, String tid, long debit,
                             long credit) {
    assertEquals(new Prepared(id, tid), r.reply());
    Instant at = clock.instant();
    Account a = (Account) r.state();
    PendingLeg leg = new PendingLeg(tid, "USD", debit, credit, at, DEADLINE, a.version(), true);
    assertEquals(List.of(new LegPrepared(leg, at, Counters.of(a))), r.events());
    assertEquals(leg, a.pending().get(tid));
    return a;
  }

  /** Leg events without the leg and counters they carry for the read side (checked elsewhere). */
  private static List<Event> withoutReadSide(List<Event> events) {
    return events.stream().map(e -> {
      if (e instanceof LegPosted p) {
        return (Event) new LegPosted(p.transferId(), p.partialAmount(), p.at(), null, null);
      }
      if (e instanceof LegVoided v) {
        return (Event) new LegVoided(v.transferId(), v.at(), null, null);
      }
      return e;
    }).toList();
  }

  private void assertRefused(CommandResultWithReply<Command, Event, State, PrepareReply> r, String tid,
                             ResultCode code) {
    assertEquals(new Refused(id, tid, code), r.reply());
    assertTrue("a refusal persists nothing", r.hasNoEvents());
  }

  /** Prepared again without a new event (the leg is already held). */
  private void assertAlreadyHeld(CommandResultWithReply<Command, Event, State, PrepareReply> r, String tid) {
    assertEquals(new Prepared(id, tid), r.reply());
    assertTrue("an idempotent prepare persists nothing", r.hasNoEvents());
  }

  private CommandResultWithReply<Command, Event, State, LegAck> post(String tid, Long partial) {
    CommandResultWithReply<Command, Event, State, LegAck> r =
        kit.runCommand(replyTo -> new AccountEntity.PostLeg(tid, partial, replyTo));
    assertEquals(new LegAck(id, tid), r.reply());
    return r;
  }

  private CommandResultWithReply<Command, Event, State, LegAck> voidLeg(String tid) {
    CommandResultWithReply<Command, Event, State, LegAck> r =
        kit.runCommand(replyTo -> new AccountEntity.VoidLeg(tid, replyTo));
    assertEquals(new LegAck(id, tid), r.reply());
    return r;
  }

  private CommandResult<Command, Event, State> resolution(String tid, Resolution.Outcome outcome, Long partial,
                                                          Instant recheckAt) {
    return kit.runCommand(new Resolution(tid, outcome, partial, recheckAt));
  }

  private Account account() {
    return (Account) kit.getState();
  }

  /** Credits {@code amount} through a posted transfer: two events. */
  private Account fund(String tid, long amount) {
    assertEquals(new Prepared(id, tid), prepare(tid, credit(amount)).reply());
    post(tid, null);
    return account();
  }

  private static void assertCounters(Account a, long debitsPosted, long creditsPosted, long debitsPending,
                                     long creditsPending, long balance, long available, long version) {
    assertEquals("debits_posted", debitsPosted, a.debitsPosted());
    assertEquals("credits_posted", creditsPosted, a.creditsPosted());
    assertEquals("debits_pending", debitsPending, a.debitsPending());
    assertEquals("credits_pending", creditsPending, a.creditsPending());
    assertEquals("balance", balance, a.balance());
    assertEquals("available", available, a.available());
    assertEquals("version", version, a.version());
  }

  private Account restartKeepsState() {
    State before = kit.getState();
    State after = kit.restart().state();
    assertEquals("replay rebuilds exactly the same state", before, after);
    assertEquals(before, kit.getState());
    return (Account) after;
  }

  // ---- prepare ---------------------------------------------------------------------------

  @Test
  public void prepareHoldsTheLegAsPendingAndPersistsOneEvent() {
    open(0L, null);
    Account a = assertHeld(prepare("t1", credit(100)), "t1", 0, 100);
    assertCounters(a, 0, 0, 0, 100, 0, 0, 2);
    assertEquals(Instant.parse("2026-11-22T10:15:30.123Z"), a.updatedAt());
    assertCounters(restartKeepsState(), 0, 0, 0, 100, 0, 0, 2);
  }

  @Test
  public void aMissingAccountRefusesPrepareAndAcksPostAndVoidWithoutEvents() {
    assertRefused(prepare("t1", credit(10)), "t1", ResultCode.ACCOUNT_NOT_FOUND);
    assertTrue(post("t1", null).hasNoEvents());
    assertTrue(voidLeg("t1").hasNoEvents());
    for (Command c : List.<Command>of(new Resolution("t1", Resolution.Outcome.POST, null, null),
        new AccountEntity.CheckPending(), new AccountEntity.Idle())) {
      CommandResult<Command, Event, State> r = kit.runCommand(c);
      assertTrue(r.hasNoEvents());
      assertEquals(new AccountEntity.Empty(), r.state());
    }
    assertEquals(new AccountEntity.Empty(), kit.restart().state());
  }

  @Test
  public void aLegPastThePendingCapIsRefusedTooManyPendingUntilOneIsReleased() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), AccountEntity.create(id,
        new AccountEntity.Settings(3, 8, BOUND, CHECK, Duration.ofMinutes(10), 32, 16 * 1024, 2),
        new AccountEntity.Environment(TransferEntity.coordinators(t -> transfers.ref()), null, clock)));
    open(null, 100L);
    assertHeld(prepare("t1", credit(10)), "t1", 0, 10);
    assertHeld(prepare("t2", debit(10)), "t2", 10, 0);
    // Checked last: a leg that breaks a limit is refused for that first.
    assertRefused(prepare("t3", credit(200)), "t3", ResultCode.EXCEEDS_MAX_BALANCE);
    assertRefused(prepare("t3", credit(1)), "t3", ResultCode.TOO_MANY_PENDING);
    assertAlreadyHeld(prepare("t2", debit(10)), "t2");
    post("t1", null);
    assertHeld(prepare("t3", credit(1)), "t3", 0, 1);
  }

  @Test
  public void refusalsComeInPrecedenceOrderAndPersistNothing() {
    open(0L, 100L);
    kit.<Reply>runCommand(AccountEntity.Lock::new);
    // Locked beats currency and limits.
    assertRefused(prepare("t", debitEur(5)), "t", ResultCode.ACCOUNT_LOCKED);
    assertRefused(prepare("t", credit(101)), "t", ResultCode.ACCOUNT_LOCKED);
    assertRefused(prepare("t", debit(MAX), debit(1)), "t", ResultCode.ACCOUNT_LOCKED);
    kit.<Reply>runCommand(AccountEntity.Unlock::new);
    // Currency beats overflow and limits; any posting in another currency is a mismatch.
    assertRefused(prepare("t", debitEur(5)), "t", ResultCode.CURRENCY_MISMATCH);
    assertRefused(prepare("t", credit(5), creditEur(5)), "t", ResultCode.CURRENCY_MISMATCH);
    assertRefused(prepare("t", debitEur(MAX), debitEur(1)), "t", ResultCode.CURRENCY_MISMATCH);
    // Overflow beats the limits (both sums would also break min and max).
    assertRefused(prepare("t", debit(MAX), debit(1)), "t", ResultCode.OVERFLOW);
    assertRefused(prepare("t", credit(MAX), credit(1)), "t", ResultCode.OVERFLOW);
    // min_balance beats max_balance (a leg debiting 5 and crediting 200 breaks both).
    assertRefused(prepare("t", debit(5), credit(200)), "t", ResultCode.EXCEEDS_MIN_BALANCE);
    assertRefused(prepare("t", debit(1)), "t", ResultCode.EXCEEDS_MIN_BALANCE);
    assertRefused(prepare("t", credit(101)), "t", ResultCode.EXCEEDS_MAX_BALANCE);
    assertCounters(account(), 0, 0, 0, 0, 0, 0, 3);
    // Exactly the max is allowed.
    assertCounters(assertHeld(prepare("t", credit(100)), "t", 0, 100), 0, 0, 0, 100, 0, 0, 4);
    restartKeepsState();
    voidLeg("t");
    Account closed = ((Accepted) kit.<Reply>runCommand(AccountEntity.Close::new).reply()).account();
    assertEquals(Account.Status.CLOSED, closed.status());
    assertCounters(closed, 0, 0, 0, 0, 0, 0, 6);
    // Closed beats everything else.
    assertRefused(prepare("u", debitEur(5)), "u", ResultCode.ACCOUNT_CLOSED);
    assertRefused(prepare("u", credit(1)), "u", ResultCode.ACCOUNT_CLOSED);
    assertRefused(prepare("u", debit(MAX), debit(1)), "u", ResultCode.ACCOUNT_CLOSED);
    // A Prepare past its deadline is refused before the account is even looked at.
    clock.set(DEADLINE.plusMillis(1));
    assertRefused(prepare("u", credit(1)), "u", ResultCode.TRANSFER_TIMED_OUT);
    assertCounters(restartKeepsState(), 0, 0, 0, 0, 0, 0, 6);
  }

  @Test
  public void minBalanceCountsPendingDebitsButNotPendingCredits() {
    open(0L, null);
    assertCounters(fund("fund", 100), 0, 100, 0, 0, 100, 100, 3);
    assertCounters(assertHeld(prepare("a", debit(60)), "a", 60, 0), 0, 100, 60, 0, 100, 40, 4);
    assertRefused(prepare("b", debit(41)), "b", ResultCode.EXCEEDS_MIN_BALANCE);
    assertCounters(assertHeld(prepare("c", credit(50)), "c", 0, 50), 0, 100, 60, 50, 100, 40, 5);
    assertRefused(prepare("b", debit(41)), "b", ResultCode.EXCEEDS_MIN_BALANCE);
    assertCounters(assertHeld(prepare("d", debit(40)), "d", 40, 0), 0, 100, 100, 50, 100, 0, 6);
    assertRefused(prepare("e", debit(1)), "e", ResultCode.EXCEEDS_MIN_BALANCE);
    restartKeepsState();
    assertCounters((Account) post("c", null).state(), 0, 150, 100, 0, 150, 50, 7);
    assertCounters(assertHeld(prepare("b", debit(41)), "b", 41, 0), 0, 150, 141, 0, 150, 9, 8);
    assertCounters((Account) voidLeg("a").state(), 0, 150, 81, 0, 150, 69, 9);
    assertCounters((Account) post("d", null).state(), 40, 150, 41, 0, 110, 69, 10);
    assertCounters(restartKeepsState(), 40, 150, 41, 0, 110, 69, 10);
  }

  @Test
  public void aNegativeMinBalanceAllowsThatOverdraftAndNoMore() {
    open(-50L, null);
    assertCounters(assertHeld(prepare("a", debit(50)), "a", 50, 0), 0, 0, 50, 0, 0, -50, 2);
    assertRefused(prepare("b", debit(1)), "b", ResultCode.EXCEEDS_MIN_BALANCE);
    assertCounters((Account) post("a", null).state(), 50, 0, 0, 0, -50, -50, 3);
    assertRefused(prepare("b", debit(1)), "b", ResultCode.EXCEEDS_MIN_BALANCE);
    assertCounters(restartKeepsState(), 50, 0, 0, 0, -50, -50, 3);
  }

  @Test
  public void maxBalanceCountsPendingCreditsButNotPendingDebits() {
    open(null, 100L);
    assertCounters(assertHeld(prepare("a", credit(70)), "a", 0, 70), 0, 0, 0, 70, 0, 0, 2);
    assertRefused(prepare("b", credit(31)), "b", ResultCode.EXCEEDS_MAX_BALANCE);
    assertCounters(assertHeld(prepare("c", debit(50)), "c", 50, 0), 0, 0, 50, 70, 0, -50, 3);
    assertRefused(prepare("b", credit(31)), "b", ResultCode.EXCEEDS_MAX_BALANCE);
    // Posting the debit lowers credits_posted + credits_pending - debits_posted to 20.
    assertCounters((Account) post("c", null).state(), 50, 0, 0, 70, -50, -50, 4);
    assertCounters(assertHeld(prepare("b", credit(80)), "b", 0, 80), 50, 0, 0, 150, -50, -50, 5);
    assertRefused(prepare("e", credit(1)), "e", ResultCode.EXCEEDS_MAX_BALANCE);
    restartKeepsState();
    assertCounters((Account) post("a", null).state(), 50, 70, 0, 80, 20, 20, 6);
    assertRefused(prepare("e", credit(1)), "e", ResultCode.EXCEEDS_MAX_BALANCE);
    assertCounters(restartKeepsState(), 50, 70, 0, 80, 20, 20, 6);
  }

  @Test
  public void overflowNearLongMaxIsRefusedOnEitherSide() {
    open(null, null);
    assertCounters(assertHeld(prepare("big-debit", debit(MAX)), "big-debit", MAX, 0), 0, 0, MAX, 0, 0, -MAX, 2);
    assertRefused(prepare("x", debit(1)), "x", ResultCode.OVERFLOW);
    assertCounters((Account) post("big-debit", null).state(), MAX, 0, 0, 0, -MAX, -MAX, 3);
    assertRefused(prepare("x", debit(1)), "x", ResultCode.OVERFLOW);
    assertCounters(assertHeld(prepare("big-credit", credit(MAX - 1)), "big-credit", 0, MAX - 1),
        MAX, 0, 0, MAX - 1, -MAX, -MAX, 4);
    // credits_posted + credits_pending = MAX exactly still fits.
    assertCounters(assertHeld(prepare("one", credit(1)), "one", 0, 1), MAX, 0, 0, MAX, -MAX, -MAX, 5);
    assertRefused(prepare("x", credit(1)), "x", ResultCode.OVERFLOW);
    restartKeepsState();
    assertCounters((Account) post("big-credit", null).state(), MAX, MAX - 1, 0, 1, -1, -1, 6);
    assertCounters((Account) post("one", null).state(), MAX, MAX, 0, 0, 0, 0, 7);
    assertRefused(prepare("x", credit(1)), "x", ResultCode.OVERFLOW);
    assertRefused(prepare("x", debit(1)), "x", ResultCode.OVERFLOW);
    assertRefused(prepare("x", debit(1), credit(1)), "x", ResultCode.OVERFLOW);
    assertCounters(restartKeepsState(), MAX, MAX, 0, 0, 0, 0, 7);
  }

  @Test
  public void thePostingsOfOneTransferAreSummedExactly() {
    open(null, null);
    assertRefused(prepare("x", debit(MAX / 2 + 1), debit(MAX / 2 + 1)), "x", ResultCode.OVERFLOW);
    assertRefused(prepare("x", credit(MAX), credit(MAX)), "x", ResultCode.OVERFLOW);
    assertCounters(assertHeld(prepare("y", debit(MAX / 2), debit(MAX / 2 + 1)), "y", MAX, 0),
        0, 0, MAX, 0, 0, -MAX, 2);
  }

  @Test
  public void prepareIsIdempotentPerTransferId() {
    open(null, null);
    assertCounters(assertHeld(prepare("t1", debit(30), credit(50)), "t1", 30, 50), 0, 0, 30, 50, 0, -30, 2);
    assertAlreadyHeld(prepare("t1", debit(30), credit(50)), "t1");
    assertAlreadyHeld(prepare("t1", credit(50), debit(30)), "t1");
    // A retried round of a restarted coordinator carries a later deadline: still the same leg.
    assertAlreadyHeld(prepareBy("t1", DEADLINE.plusSeconds(5), debit(30), credit(50)), "t1");
    // Different postings under the same id cannot be held.
    assertRefused(prepare("t1", debit(31), credit(50)), "t1", ResultCode.TRANSFER_TIMED_OUT);
    assertRefused(prepare("t1", debit(50), credit(30)), "t1", ResultCode.TRANSFER_TIMED_OUT);
    assertRefused(prepare("t1", debit(30)), "t1", ResultCode.TRANSFER_TIMED_OUT);
    assertRefused(prepare("t1", debitEur(30), creditEur(50)), "t1", ResultCode.TRANSFER_TIMED_OUT);
    // Once held, the same Prepare is answered Prepared even when locked or past its deadline.
    kit.<Reply>runCommand(AccountEntity.Lock::new);
    assertAlreadyHeld(prepare("t1", debit(30), credit(50)), "t1");
    clock.set(DEADLINE.plusSeconds(1));
    assertAlreadyHeld(prepare("t1", debit(30), credit(50)), "t1");
    Account a = restartKeepsState();
    assertCounters(a, 0, 0, 30, 50, 0, -30, 3);
    assertEquals(new PendingLeg("t1", "USD", 30, 50, T0, DEADLINE, 2L, true), a.pending().get("t1"));
    assertEquals(1, a.pending().size());
  }

  @Test
  public void aPrepareIsRefusedAfterItsDeadlineAndAcceptedAtIt() {
    open(null, null);
    clock.set(DEADLINE.plusMillis(1));
    assertRefused(prepare("late", credit(10)), "late", ResultCode.TRANSFER_TIMED_OUT);
    assertCounters(account(), 0, 0, 0, 0, 0, 0, 1);
    clock.set(DEADLINE);
    assertCounters(assertHeld(prepare("on-time", credit(10)), "on-time", 0, 10), 0, 0, 0, 10, 0, 0, 2);
    assertEquals(DEADLINE, account().pending().get("on-time").preparedAt());
    restartKeepsState();
  }

  // ---- post and void -------------------------------------------------------------------

  @Test
  public void postLegPostsAtMostOnce() {
    open(0L, null);
    assertHeld(prepare("t1", credit(100)), "t1", 0, 100);
    clock.set(T0.plusMillis(7));
    CommandResultWithReply<Command, Event, State, LegAck> posted = post("t1", null);
    assertEquals(List.of(new LegPosted("t1", null, T0.plusMillis(7), null, null)), withoutReadSide(posted.events()));
    assertCounters((Account) posted.state(), 0, 100, 0, 0, 100, 100, 3);
    assertEquals(T0.plusMillis(7), ((Account) posted.state()).updatedAt());
    assertTrue(((Account) posted.state()).pending().isEmpty());
    restartKeepsState();
    // Duplicates and contradictions after the post: acknowledged, nothing applied.
    assertTrue(post("t1", null).hasNoEvents());
    assertTrue(post("t1", 40L).hasNoEvents());
    assertTrue(voidLeg("t1").hasNoEvents());
    assertTrue(resolution("t1", Resolution.Outcome.POST, null, null).hasNoEvents());
    assertTrue(resolution("t1", Resolution.Outcome.VOID, null, null).hasNoEvents());
    assertCounters(restartKeepsState(), 0, 100, 0, 0, 100, 100, 3);
  }

  @Test
  public void voidLegReleasesAtMostOnceAndAVoidedLegIsNeverPosted() {
    open(0L, null);
    fund("fund", 100);
    assertCounters(assertHeld(prepare("t2", debit(40)), "t2", 40, 0), 0, 100, 40, 0, 100, 60, 4);
    CommandResultWithReply<Command, Event, State, LegAck> voided = voidLeg("t2");
    assertEquals(List.of(new LegVoided("t2", T0, null, null)), withoutReadSide(voided.events()));
    assertEquals(new PendingLeg("t2", "USD", 40, 0, T0, DEADLINE, 4L, true), ((LegVoided) voided.events().get(0)).leg());
    assertEquals(new Counters(0, 100, 0, 0), ((LegVoided) voided.events().get(0)).after());
    assertCounters((Account) voided.state(), 0, 100, 0, 0, 100, 100, 5);
    restartKeepsState();
    assertTrue(voidLeg("t2").hasNoEvents());
    assertTrue(post("t2", null).hasNoEvents());
    assertTrue(resolution("t2", Resolution.Outcome.POST, null, null).hasNoEvents());
    assertCounters(restartKeepsState(), 0, 100, 0, 0, 100, 100, 5);
  }

  @Test
  public void postOrVoidOfALegNeverPreparedIsAcknowledgedWithoutEvent() {
    open(0L, null);
    assertTrue(post("never", null).hasNoEvents());
    assertTrue(post("never", 5L).hasNoEvents());
    assertTrue(voidLeg("never").hasNoEvents());
    assertCounters(account(), 0, 0, 0, 0, 0, 0, 1);
  }

  @Test
  public void aPartialPostPostsOnlyThatAmountAndReleasesTheRest() {
    open(0L, null);
    fund("fund", 100);
    assertHeld(prepare("d", debit(100)), "d", 100, 0);
    CommandResultWithReply<Command, Event, State, LegAck> posted = post("d", 40L);
    assertEquals(List.of(new LegPosted("d", 40L, T0, null, null)), withoutReadSide(posted.events()));
    // For the read side: the leg as it was held, and the counters after the partial post.
    LegPosted event = (LegPosted) posted.events().get(0);
    assertEquals(new PendingLeg("d", "USD", 100, 0, T0, DEADLINE, 4L, true), event.leg());
    assertEquals(new Counters(40, 100, 0, 0), event.after());
    assertEquals(Counters.of((Account) posted.state()), event.after());
    assertCounters((Account) posted.state(), 40, 100, 0, 0, 60, 60, 5);
    assertCounters(assertHeld(prepare("c", credit(100)), "c", 0, 100), 40, 100, 0, 100, 60, 60, 6);
    assertCounters((Account) post("c", 40L).state(), 40, 140, 0, 0, 100, 100, 7);
    // The whole amount, as a partial, posts everything.
    assertHeld(prepare("w", credit(25)), "w", 0, 25);
    assertCounters((Account) post("w", 25L).state(), 40, 165, 0, 0, 125, 125, 9);
    assertCounters(restartKeepsState(), 40, 165, 0, 0, 125, 125, 9);
  }

  @Test
  public void aPartialPostThatDoesNotFitIsNotAppliedAndNotAcknowledged() {
    open(null, null);
    assertHeld(prepare("e", debit(30)), "e", 30, 0);
    assertHeld(prepare("f", debit(10), credit(10)), "f", 10, 10);
    TestProbe<LegAck> acks = testKit.createTestProbe();
    for (Command c : List.<Command>of(new AccountEntity.PostLeg("e", 31L, acks.ref()),
        new AccountEntity.PostLeg("e", 0L, acks.ref()), new AccountEntity.PostLeg("e", -1L, acks.ref()),
        new AccountEntity.PostLeg("f", 5L, acks.ref()))) {
      assertTrue(kit.runCommand(c).hasNoEvents());
    }
    acks.expectNoMessage(Duration.ofMillis(100));
    assertTrue(resolution("e", Resolution.Outcome.POST, 31L, null).hasNoEvents());
    assertTrue(resolution("f", Resolution.Outcome.POST, 5L, null).hasNoEvents());
    assertCounters(account(), 0, 0, 40, 10, 0, -40, 3);
    assertCounters((Account) post("e", null).state(), 30, 0, 10, 10, -30, -40, 4);
    assertCounters((Account) post("f", null).state(), 40, 10, 0, 0, -30, -30, 5);
    assertCounters(restartKeepsState(), 40, 10, 0, 0, -30, -30, 5);
  }

  @Test
  public void oneTransferDebitingAndCreditingTheSameAccountHoldsAndPostsBothSides() {
    open(0L, null);
    fund("fund", 100);
    // Legs alice -> bob 30, carol -> alice 50, alice -> dave 20, as alice's postings.
    Account held = assertHeld(prepare("m", debit(30), credit(50), debit(20)), "m", 50, 50);
    assertCounters(held, 0, 100, 50, 50, 100, 50, 4);
    restartKeepsState();
    assertCounters((Account) post("m", null).state(), 50, 150, 0, 0, 100, 100, 5);
    // Pending credits of the same transfer do not cover its debits.
    assertRefused(prepare("n", debit(150), credit(100)), "n", ResultCode.EXCEEDS_MIN_BALANCE);
    assertCounters(assertHeld(prepare("n", debit(100), credit(100)), "n", 100, 100), 50, 150, 100, 100, 100, 0, 6);
    assertCounters((Account) voidLeg("n").state(), 50, 150, 0, 0, 100, 100, 7);
    assertCounters(restartKeepsState(), 50, 150, 0, 0, 100, 100, 7);
  }

  @Test
  public void aLockedAccountStillPostsAndVoidsItsLegsButHoldsNoNewOne() {
    open(0L, null);
    fund("fund", 100);
    assertHeld(prepare("a", debit(30)), "a", 30, 0);
    assertHeld(prepare("b", credit(20)), "b", 0, 20);
    assertHeld(prepare("c", debit(5)), "c", 5, 0);
    Account locked = ((Accepted) kit.<Reply>runCommand(AccountEntity.Lock::new).reply()).account();
    assertEquals(Account.Status.LOCKED, locked.status());
    assertCounters(locked, 0, 100, 35, 20, 100, 65, 7);
    assertRefused(prepare("d", credit(1)), "d", ResultCode.ACCOUNT_LOCKED);
    assertCounters((Account) post("a", null).state(), 30, 100, 5, 20, 70, 65, 8);
    assertCounters((Account) voidLeg("b").state(), 30, 100, 5, 0, 70, 65, 9);
    assertCounters((Account) resolution("c", Resolution.Outcome.POST, null, null).state(), 35, 100, 0, 0, 65, 65, 10);
    Account after = restartKeepsState();
    assertEquals(Account.Status.LOCKED, after.status());
    assertCounters(after, 35, 100, 0, 0, 65, 65, 10);
  }

  @Test
  public void closeIsRefusedWhileALegIsPendingAndAClosedAccountHoldsNothing() {
    open(0L, null);
    assertHeld(prepare("a", credit(10)), "a", 0, 10);
    CommandResultWithReply<Command, Event, State, Reply> refused = kit.runCommand(AccountEntity.Close::new);
    assertEquals(ResultCode.ACCOUNT_HAS_PENDING, ((Refusal) refused.reply()).code());
    assertTrue(refused.hasNoEvents());
    voidLeg("a");
    Account closed = ((Accepted) kit.<Reply>runCommand(AccountEntity.Close::new).reply()).account();
    assertEquals(Account.Status.CLOSED, closed.status());
    assertCounters(closed, 0, 0, 0, 0, 0, 0, 4);
    assertRefused(prepare("b", credit(10)), "b", ResultCode.ACCOUNT_CLOSED);
    assertTrue(post("b", null).hasNoEvents());
    assertTrue(voidLeg("b").hasNoEvents());
    assertCounters(restartKeepsState(), 0, 0, 0, 0, 0, 0, 4);
  }

  // ---- the coordinator's resolution ---------------------------------------------------

  @Test
  public void resolutionPostsVoidsOrWaitsAndAppliesAtMostOnce() {
    open(null, null);
    assertHeld(prepare("a", debit(10)), "a", 10, 0);
    assertHeld(prepare("b", credit(20)), "b", 0, 20);
    assertHeld(prepare("c", credit(30)), "c", 0, 30);
    assertHeld(prepare("d", debit(5)), "d", 5, 0);
    assertCounters(account(), 0, 0, 15, 50, 0, -15, 5);
    clock.set(T0.plusMillis(3));
    CommandResult<Command, Event, State> posted = resolution("a", Resolution.Outcome.POST, null, null);
    assertEquals(List.of(new LegPosted("a", null, T0.plusMillis(3), null, null)), withoutReadSide(posted.events()));
    assertCounters((Account) posted.state(), 10, 0, 5, 50, -10, -15, 6);
    CommandResult<Command, Event, State> partial = resolution("b", Resolution.Outcome.POST, 7L, null);
    assertEquals(List.of(new LegPosted("b", 7L, T0.plusMillis(3), null, null)), withoutReadSide(partial.events()));
    assertCounters((Account) partial.state(), 10, 7, 5, 30, -3, -8, 7);
    CommandResult<Command, Event, State> voided = resolution("c", Resolution.Outcome.VOID, null, null);
    assertEquals(List.of(new LegVoided("c", T0.plusMillis(3), null, null)), withoutReadSide(voided.events()));
    assertCounters((Account) voided.state(), 10, 7, 5, 0, -3, -8, 8);
    CommandResult<Command, Event, State> wait = resolution("d", Resolution.Outcome.WAIT, null, T0.plusSeconds(10));
    assertTrue(wait.hasNoEvents());
    assertTrue(((Account) wait.state()).pending().containsKey("d"));
    restartKeepsState();
    // Repeats, and answers about legs no longer (or never) held: nothing.
    assertTrue(resolution("a", Resolution.Outcome.POST, null, null).hasNoEvents());
    assertTrue(resolution("a", Resolution.Outcome.VOID, null, null).hasNoEvents());
    assertTrue(resolution("c", Resolution.Outcome.POST, null, null).hasNoEvents());
    assertTrue(resolution("zzz", Resolution.Outcome.POST, null, null).hasNoEvents());
    assertTrue("a partial above the leg does not fit", resolution("d", Resolution.Outcome.POST, 6L, null)
        .hasNoEvents());
    assertCounters(restartKeepsState(), 10, 7, 5, 0, -3, -8, 8);
  }

  @Test
  public void theCheckTimerAsksTheCoordinatorOnlyAfterTheBoundAndHonoursWait() {
    open(0L, null);
    assertHeld(prepare("t1", credit(10)), "t1", 0, 10);
    // The clock stands at the prepare time: nothing is due however often the timer ticks.
    transfers.expectNoMessage(Duration.ofMillis(300));
    clock.set(T0.plus(BOUND).minusMillis(1));
    transfers.expectNoMessage(Duration.ofMillis(250));
    clock.set(T0.plus(BOUND));
    TransferEntity.Resolve ask = transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2));
    assertEquals("t1", ask.transferId());
    assertEquals(id, ask.accountId());
    // Asked again only a bound after the last question.
    transfers.expectNoMessage(Duration.ofMillis(250));
    // The coordinator says wait until T0 + 2 s: past the bound, still not asked.
    ask.account().tell(new Resolution("t1", Resolution.Outcome.WAIT, null, T0.plusSeconds(2)));
    kit.getState(); // the WAIT is handled before the clock moves
    clock.set(T0.plusSeconds(1));
    transfers.expectNoMessage(Duration.ofMillis(250));
    clock.set(T0.plusSeconds(2));
    TransferEntity.Resolve again = transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2));
    assertEquals("t1", again.transferId());
    // The answer VOID releases the leg; with nothing pending the timer stops asking.
    again.account().tell(new Resolution("t1", Resolution.Outcome.VOID, null, null));
    Account a = account();
    assertCounters(a, 0, 0, 0, 0, 0, 0, 3);
    clock.set(T0.plusSeconds(60));
    transfers.expectNoMessage(Duration.ofMillis(300));
    restartKeepsState();
  }

  @Test
  public void eachLegIsAskedAboutABoundAfterItsOwnPrepare() {
    open(null, null);
    assertHeld(prepare("t1", credit(10)), "t1", 0, 10);
    clock.set(T0.plusMillis(200));
    assertHeld(prepare("t2", debit(4)), "t2", 4, 0);
    clock.set(T0.plusMillis(300));
    assertEquals("t1", transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2)).transferId());
    transfers.expectNoMessage(Duration.ofMillis(250));
    clock.set(T0.plusMillis(500));
    assertEquals("t2", transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2)).transferId());
    transfers.expectNoMessage(Duration.ofMillis(250));
    clock.set(T0.plusMillis(600));
    assertEquals("t1", transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2)).transferId());
  }

  @Test
  public void afterARestartTheTimerIsArmedAgainAndForgetsAWait() {
    open(0L, null);
    assertHeld(prepare("t1", credit(10)), "t1", 0, 10);
    resolution("t1", Resolution.Outcome.WAIT, null, T0.plusSeconds(30));
    restartKeepsState();
    clock.set(T0.plus(BOUND));
    TransferEntity.Resolve ask = transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2));
    assertEquals("t1", ask.transferId());
    // The Resolution reaches the new incarnation.
    ask.account().tell(new Resolution("t1", Resolution.Outcome.POST, null, null));
    assertCounters(account(), 0, 10, 0, 0, 10, 10, 3);
    assertCounters(restartKeepsState(), 0, 10, 0, 0, 10, 10, 3);
  }

  @Test
  public void aResolvedLegIsNotAskedAboutAnyMore() {
    open(0L, null);
    assertHeld(prepare("t1", credit(10)), "t1", 0, 10);
    assertHeld(prepare("t2", credit(20)), "t2", 0, 20);
    post("t1", null);
    clock.set(T0.plus(BOUND));
    assertEquals("t2", transfers.expectMessageClass(TransferEntity.Resolve.class, Duration.ofSeconds(2)).transferId());
    transfers.expectNoMessage(Duration.ofMillis(250));
    assertFalse(account().pending().containsKey("t1"));
  }

  /**
   * A late duplicate of a Prepare, arriving before its deadline after the leg was posted, must
   * not hold the transfer again (else presumed abort would post it twice; S3).
   */
  @Test
  public void aDuplicatePrepareAfterThePostDoesNotHoldOrPostTheTransferAgain() {
    open(0L, null);
    assertHeld(prepare("t1", credit(100)), "t1", 0, 100);
    post("t1", null);
    assertCounters(account(), 0, 100, 0, 0, 100, 100, 3);
    // The same Prepare again, still before its deadline (a duplicate delivered late).
    CommandResultWithReply<Command, Event, State, PrepareReply> again = prepare("t1", credit(100));
    // What the coordinator answers when this account asks about t1, as it is posted.
    resolution("t1", Resolution.Outcome.POST, null, null);
    Account a = account();
    assertEquals("transfer t1 must credit this account once, credits_posted", 100, a.creditsPosted());
    assertEquals("credits_pending", 0, a.creditsPending());
    assertTrue("a Prepare of an already posted transfer must not hold it again", again.hasNoEvents());
  }
}
