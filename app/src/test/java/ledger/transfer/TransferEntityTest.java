package ledger.transfer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import ledger.account.AccountEntity;
import ledger.account.AccountEntity.Resolution;
import ledger.account.Posting;
import ledger.core.ResultCode;
import ledger.testing.MutableClock;
import ledger.testing.TestKits;
import ledger.transfer.Transfer.Rejection;
import ledger.transfer.Transfer.Status;
import ledger.transfer.TransferEntity.Command;
import ledger.transfer.TransferEntity.Create;
import ledger.transfer.TransferEntity.Decided;
import ledger.transfer.TransferEntity.Done;
import ledger.transfer.TransferEntity.Event;
import ledger.transfer.TransferEntity.Failed;
import ledger.transfer.TransferEntity.PendingExpired;
import ledger.transfer.TransferEntity.PendingPosted;
import ledger.transfer.TransferEntity.PendingVoided;
import ledger.transfer.TransferEntity.Reply;
import ledger.transfer.TransferEntity.Resolve;
import ledger.transfer.TransferEntity.State;
import ledger.transfer.TransferEntity.Undecided;
import org.junit.Before;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The coordinator of the transfer protocol (docs/design.md "The transfer protocol"), driven message by
 * message: one TestProbe stands in for each account and answers the Prepare it receives through
 * the coordinator's own adapter; the clock is fixed and moved by hand. Commands, events, state and
 * immediate replies are checked for serialization by the test kit.
 *
 * <p>Most tests use a prepare timeout of 3 s that they never reach (every account answers within
 * milliseconds, so a loaded machine cannot make them flaky); the tests about the prepare deadline
 * use a kit with a 300 ms timeout.
 */
public class TransferEntityTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(TestKits.eventSourced());

  private static final Instant T0 = Instant.parse("2026-11-22T10:15:30.123Z");
  /** When the accounts answer (the decision time) in most tests. */
  private static final Instant T1 = T0.plusMillis(50);
  private static final Instant T2 = T0.plusMillis(400);
  private static final Duration PREPARE = Duration.ofSeconds(3);
  private static final Duration SHORT_PREPARE = Duration.ofMillis(300);
  private static final Duration DRIVE = Duration.ofMillis(200);
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final List<String> ACCOUNT_IDS = List.of("alice", "bob", "carol", "dave", "mallory");
  private static final AtomicInteger SEQ = new AtomicInteger();

  private static final Map<String, String> META = Map.of("order", "o-1");
  private static final TransferRequest ONE = oneLeg("alice", "bob", 100, "USD");
  private static final TransferRequest PENDING_ONE =
      new TransferRequest(List.of(new Leg("alice", "bob", 100, "USD")), true, 1L, META);
  /** alice [debit 100, credit 10], bob [credit 100], carol [debit 10]. */
  private static final TransferRequest MULTI = new TransferRequest(
      List.of(new Leg("alice", "bob", 100, "USD"), new Leg("carol", "alice", 10, "USD")), false, null, META);
  private static final TransferRequest PENDING_MULTI = new TransferRequest(
      List.of(new Leg("alice", "bob", 100, "USD"), new Leg("carol", "alice", 10, "USD")), true, 1L, META);

  private MutableClock clock;
  private Map<String, TestProbe<AccountEntity.Command>> accounts;
  private String id;
  private Duration prepareTimeout;
  private Instant createdAt;
  private EventSourcedBehaviorTestKit<Command, Event, State> kit;

  @Before
  public void setUp() {
    newKit(PREPARE);
  }

  /** A fresh coordinator with a new transfer id, fresh account probes and the clock back at T0. */
  private void newKit(Duration timeout) {
    prepareTimeout = timeout;
    id = "t-" + SEQ.incrementAndGet();
    clock = new MutableClock(T0);
    Map<String, TestProbe<AccountEntity.Command>> probes = new ConcurrentHashMap<>();
    for (String a : ACCOUNT_IDS) {
      probes.put(a, testKit.createTestProbe());
    }
    accounts = probes;
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), TransferEntity.create(id,
        new TransferEntity.Settings(timeout, DRIVE, DRIVE, 8),
        new TransferEntity.Environment(accountId -> probes.get(accountId).ref(), null, clock)));
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static TransferRequest oneLeg(String debit, String credit, long amount, String currency) {
    return new TransferRequest(List.of(new Leg(debit, credit, amount, currency)), false, null, META);
  }

  private static Posting debit(long amount) {
    return new Posting(Posting.Side.DEBIT, amount, "USD");
  }

  private static Posting credit(long amount) {
    return new Posting(Posting.Side.CREDIT, amount, "USD");
  }

  private TestProbe<AccountEntity.Command> account(String accountId) {
    return accounts.get(accountId);
  }

  private List<Object> persisted() {
    return kit.persistenceTestKit().persistedInStorage(TransferEntity.persistenceId(id).id());
  }

  /** Create through a client probe: the coordinator answers only after its decision. */
  private TestProbe<Reply> create(TransferRequest request) {
    TestProbe<Reply> client = testKit.createTestProbe();
    createdAt = clock.instant();
    CommandResult<Command, Event, State> result = kit.runCommand(new Create(request, client.ref()));
    assertTrue("nothing is persisted before the decision", result.hasNoEvents());
    assertEquals(new Undecided(), result.state());
    return client;
  }

  /** Create when the answer is immediate (a decided transfer, or a refused retry). */
  private CommandResultWithReply<Command, Event, State, Reply> createNow(TransferRequest request) {
    return kit.runCommand(replyTo -> new Create(request, replyTo));
  }

  private CommandResultWithReply<Command, Event, State, Reply> get() {
    return kit.runCommand(TransferEntity.Get::new);
  }

  private CommandResultWithReply<Command, Event, State, Reply> post(Long amount) {
    return kit.runCommand(replyTo -> new TransferEntity.PostPending(amount, replyTo));
  }

  private CommandResultWithReply<Command, Event, State, Reply> voidIt() {
    return kit.runCommand(TransferEntity.VoidPending::new);
  }

  private AccountEntity.Prepare expectPrepare(String accountId, Posting... postings) {
    AccountEntity.Prepare p = account(accountId).expectMessageClass(AccountEntity.Prepare.class);
    assertEquals(id, p.transferId());
    assertEquals(List.of(postings), p.postings());
    assertEquals(createdAt.plus(prepareTimeout), p.deadline());
    return p;
  }

  private static void prepared(AccountEntity.Prepare p, String accountId) {
    p.replyTo().tell(new AccountEntity.Prepared(accountId, p.transferId()));
  }

  private static void refused(AccountEntity.Prepare p, String accountId, ResultCode code) {
    p.replyTo().tell(new AccountEntity.Refused(accountId, p.transferId(), code));
  }

  private static Done expectDone(TestProbe<Reply> client, boolean created) {
    Done done = client.expectMessageClass(Done.class);
    assertEquals(created, done.created());
    return done;
  }

  private static Transfer done(CommandResultWithReply<Command, Event, State, Reply> result) {
    Reply reply = result.reply();
    if (!(reply instanceof Done d)) {
      throw new AssertionError("expected Done, got " + reply);
    }
    assertFalse("only the request that decided is 'created'", d.created());
    return d.transfer();
  }

  private static void assertFailed(CommandResultWithReply<Command, Event, State, Reply> result, ResultCode code) {
    Reply reply = result.reply();
    if (!(reply instanceof Failed f)) {
      throw new AssertionError("expected Failed(" + code + "), got " + reply);
    }
    assertEquals(code, f.code());
    assertTrue("a refusal persists nothing", result.hasNoEvents());
  }

  /** Every account of the request is asked once (in precedence order), all answer Prepared at T1. */
  private Transfer decideAllPrepared(TransferRequest request) {
    TestProbe<Reply> client = create(request);
    List<AccountEntity.Prepare> prepares = new ArrayList<>();
    request.postingsByAccount().forEach((accountId, postings) ->
        prepares.add(expectPrepare(accountId, postings.toArray(new Posting[0]))));
    clock.set(T1);
    List<String> ids = new ArrayList<>(request.postingsByAccount().keySet());
    for (int i = 0; i < ids.size(); i++) {
      prepared(prepares.get(i), ids.get(i));
    }
    Transfer t = expectDone(client, true).transfer();
    assertEquals(t, kit.getState());
    return t;
  }

  private AccountEntity.PostLeg expectPostLeg(String accountId, Long partial) {
    AccountEntity.PostLeg m = account(accountId).expectMessageClass(AccountEntity.PostLeg.class);
    assertEquals(id, m.transferId());
    assertEquals(partial, m.partialAmount());
    return m;
  }

  private AccountEntity.VoidLeg expectVoidLeg(String accountId) {
    AccountEntity.VoidLeg m = account(accountId).expectMessageClass(AccountEntity.VoidLeg.class);
    assertEquals(id, m.transferId());
    return m;
  }

  private void ack(AccountEntity.PostLeg m, String accountId) {
    m.replyTo().tell(new AccountEntity.LegAck(accountId, id));
  }

  private void ack(AccountEntity.VoidLeg m, String accountId) {
    m.replyTo().tell(new AccountEntity.LegAck(accountId, id));
  }

  /** Waits until the coordinator has handled everything sent so far, then drops what the accounts got. */
  private void settle(String... accountIds) {
    kit.getState();
    for (String a : accountIds) {
      while (true) {
        try {
          account(a).receiveMessage(Duration.ofMillis(30));
        } catch (AssertionError none) {
          break;
        }
      }
    }
  }

  /** No account got anything for QUIET: one wait covers them all, as they receive concurrently. */
  private void expectQuiet(String... accountIds) {
    for (int i = 0; i < accountIds.length; i++) {
      account(accountIds[i]).expectNoMessage(i == 0 ? QUIET : Duration.ofMillis(10));
    }
  }

  private State restartKeepsState() {
    State before = kit.getState();
    State after = kit.restart().state();
    assertEquals("replay rebuilds exactly the same state", before, after);
    assertEquals(before, kit.getState());
    return after;
  }

  private Transfer expected(TransferRequest r, Status status, Rejection rejection, Long posted, Instant decidedAt,
                            Instant expiresAt) {
    return new Transfer(id, r, status, rejection, posted, T0, decidedAt, expiresAt);
  }

  // ---- Create and the prepare round ------------------------------------------------------

  @Test
  public void createAsksEachAccountOnceInPrecedenceOrderAndPersistsNothing() {
    TestProbe<Reply> client = create(MULTI);
    expectPrepare("alice", debit(100), credit(10));
    expectPrepare("bob", credit(100));
    expectPrepare("carol", debit(10));
    client.expectNoMessage(QUIET);
    expectQuiet("alice", "bob", "carol", "dave");
    assertEquals(List.of(), persisted());
    assertEquals(List.of("alice", "bob", "carol"), new ArrayList<>(MULTI.postingsByAccount().keySet()));
  }

  @Test
  public void allPreparedDecidesPostedThenPostsEveryLegUntilAcknowledged() {
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    clock.set(T1);
    prepared(b, "bob");
    client.expectNoMessage(Duration.ofMillis(100));
    assertEquals(List.of(), persisted());
    prepared(a, "alice");

    Transfer t = expectDone(client, true).transfer();
    Transfer want = expected(ONE, Status.POSTED, null, null, T1, null);
    assertEquals(want, t);
    assertEquals(List.of(new Decided(want)), persisted());
    assertEquals(want, kit.getState());

    AccountEntity.PostLeg pa = expectPostLeg("alice", null);
    AccountEntity.PostLeg pb = expectPostLeg("bob", null);
    ack(pa, "alice");
    ack(pb, "bob");
    settle("alice", "bob");
    expectQuiet("alice", "bob", "carol");
    assertEquals("acks persist nothing", 1, persisted().size());

    CommandResultWithReply<Command, Event, State, Reply> got = get();
    assertEquals(want, done(got));
    assertTrue(got.hasNoEvents());
  }

  @Test
  public void pendingTransferDecidesPendingWithItsExpiryAndDrivesNothing() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    assertEquals(expected(PENDING_ONE, Status.PENDING, null, null, T1, T1.plusSeconds(1)), t);
    assertEquals(List.of(new Decided(t)), persisted());
    CommandResultWithReply<Command, Event, State, Reply> got = get();
    assertEquals(t, done(got));
    assertTrue(got.hasNoEvents());
    expectQuiet("alice", "bob");
  }

  @Test
  public void multiLegTransferPostsOnEveryAccountAndStopsPerAccountOnItsAck() {
    Transfer t = decideAllPrepared(MULTI);
    assertEquals(expected(MULTI, Status.POSTED, null, null, T1, null), t);
    AccountEntity.PostLeg a = expectPostLeg("alice", null);
    AccountEntity.PostLeg b = expectPostLeg("bob", null);
    AccountEntity.PostLeg c = expectPostLeg("carol", null);
    ack(a, "alice");
    ack(b, "bob");
    ack(c, "carol");
    settle("alice", "bob", "carol");
    expectQuiet("alice", "bob", "carol");
  }

  @Test
  public void anyRefusalDecidesRejectedButOnlyOnceEveryAccountAnswered() {
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    clock.set(T1);
    refused(b, "bob", ResultCode.ACCOUNT_LOCKED);
    client.expectNoMessage(Duration.ofMillis(150));
    assertEquals("a refusal alone does not decide", List.of(), persisted());
    prepared(a, "alice");

    Transfer want = expected(ONE, Status.REJECTED, new Rejection(ResultCode.ACCOUNT_LOCKED, "bob"), null, T1, null);
    assertEquals(want, expectDone(client, true).transfer());
    assertEquals(List.of(new Decided(want)), persisted());
    // A rejected transfer releases every leg, the refusing account's included.
    ack(expectVoidLeg("alice"), "alice");
    ack(expectVoidLeg("bob"), "bob");
    settle("alice", "bob");
    expectQuiet("alice", "bob");
  }

  @Test
  public void theFirstRefusalInPrecedenceOrderDecidesWhateverTheOrderOfArrival() {
    int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int[] order : orders) {
      newKit(PREPARE);
      TestProbe<Reply> client = create(MULTI);
      AccountEntity.Prepare[] p = {
          expectPrepare("alice", debit(100), credit(10)),
          expectPrepare("bob", credit(100)),
          expectPrepare("carol", debit(10))};
      Runnable[] answers = {
          () -> prepared(p[0], "alice"),
          () -> refused(p[1], "bob", ResultCode.EXCEEDS_MAX_BALANCE),
          () -> refused(p[2], "carol", ResultCode.ACCOUNT_CLOSED)};
      clock.set(T1);
      for (int i : order) {
        answers[i].run();
      }
      Transfer want = expected(MULTI, Status.REJECTED,
          new Rejection(ResultCode.EXCEEDS_MAX_BALANCE, "bob"), null, T1, null);
      assertEquals("answer order " + java.util.Arrays.toString(order), want, expectDone(client, true).transfer());
      assertEquals(List.of(new Decided(want)), persisted());
    }
  }

  @Test
  public void duplicatePreparedAnswersDecideOnceAndAnswersAfterTheDecisionChangeNothing() {
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    clock.set(T1);
    prepared(a, "alice");
    prepared(a, "alice");
    client.expectNoMessage(Duration.ofMillis(100));
    assertEquals("a duplicate answer of one account is not an answer of all", List.of(), persisted());
    prepared(b, "bob");
    Transfer t = expectDone(client, true).transfer();
    assertEquals(Status.POSTED, t.status());
    // Late and contradictory answers after the decision.
    prepared(b, "bob");
    refused(a, "alice", ResultCode.EXCEEDS_MIN_BALANCE);
    refused(b, "bob", ResultCode.TRANSFER_TIMED_OUT);
    assertEquals(t, kit.getState());
    assertEquals(List.of(new Decided(t)), persisted());
    client.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  public void prepareDeadlineDecidesTimedOutOnTheFirstUnansweredAccount() {
    newKit(SHORT_PREPARE);
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    prepared(a, "alice");
    Transfer want = expected(ONE, Status.REJECTED, new Rejection(ResultCode.TRANSFER_TIMED_OUT, "bob"), null, T0,
        null);
    assertEquals(want, expectDone(client, true).transfer());
    assertEquals(List.of(new Decided(want)), persisted());
    AccountEntity.VoidLeg va = expectVoidLeg("alice");
    AccountEntity.VoidLeg vb = expectVoidLeg("bob");
    // bob's answer after the deadline changes nothing.
    prepared(b, "bob");
    ack(va, "alice");
    ack(vb, "bob");
    settle("alice", "bob");
    assertEquals(want, kit.getState());
    assertEquals(1, persisted().size());
  }

  @Test
  public void anUnansweredAccountBeforeARefusalMakesTheRejectionTimedOut() {
    newKit(SHORT_PREPARE);
    TestProbe<Reply> client = create(ONE);
    expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    refused(b, "bob", ResultCode.EXCEEDS_MAX_BALANCE);
    Transfer t = expectDone(client, true).transfer();
    assertEquals(new Rejection(ResultCode.TRANSFER_TIMED_OUT, "alice"), t.rejection());
    assertEquals(Status.REJECTED, t.status());
  }

  @Test
  public void aLateAnswerAfterTheDeadlineIsIgnored() {
    newKit(SHORT_PREPARE);
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    Transfer t = expectDone(client, true).transfer();
    assertEquals(new Rejection(ResultCode.TRANSFER_TIMED_OUT, "alice"), t.rejection());
    prepared(a, "alice");
    prepared(b, "bob");
    assertEquals(t, kit.getState());
    assertEquals(List.of(new Decided(t)), persisted());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  @Test
  public void retriesWhilePreparingJoinTheRoundAndAreAnsweredOnTheDecision() {
    TestProbe<Reply> first = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    TestProbe<Reply> second = testKit.createTestProbe();
    assertTrue(kit.runCommand(new Create(ONE, second.ref())).hasNoEvents());
    expectQuiet("alice", "bob");
    second.expectNoMessage(Duration.ofMillis(50));

    assertFailed(get(), ResultCode.UNAVAILABLE);
    assertFailed(post(null), ResultCode.UNAVAILABLE);
    assertFailed(voidIt(), ResultCode.UNAVAILABLE);
    assertFailed(createNow(oneLeg("alice", "bob", 99, "USD")), ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);

    clock.set(T1);
    prepared(a, "alice");
    prepared(b, "bob");
    Transfer t = expectDone(first, true).transfer();
    assertEquals(t, expectDone(second, false).transfer());
    assertEquals(List.of(new Decided(t)), persisted());
  }

  @Test
  public void everyDifferentFieldIsRefusedWhilePreparingWithTheFirstDifferenceInApiOrder() {
    create(ONE);
    assertEveryDifferenceRefused();
    assertEquals(new Undecided(), kit.getState());
    assertEquals(List.of(), persisted());
  }

  @Test
  public void everyDifferentFieldIsRefusedOnceDecidedWithTheFirstDifferenceInApiOrder() {
    Transfer t = decideAllPrepared(ONE);
    assertEveryDifferenceRefused();
    assertEquals(t, kit.getState());
    assertEquals(1, persisted().size());
  }

  private void assertEveryDifferenceRefused() {
    assertFailed(createNow(oneLeg("dave", "bob", 100, "USD")), ResultCode.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    assertFailed(createNow(oneLeg("dave", "carol", 5, "EUR")), ResultCode.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID);
    assertFailed(createNow(oneLeg("alice", "carol", 100, "USD")), ResultCode.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    assertFailed(createNow(oneLeg("alice", "carol", 5, "EUR")), ResultCode.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID);
    assertFailed(createNow(oneLeg("alice", "bob", 101, "USD")), ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
    assertFailed(createNow(oneLeg("alice", "bob", 101, "EUR")), ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT);
    assertFailed(createNow(oneLeg("alice", "bob", 100, "EUR")), ResultCode.EXISTS_WITH_DIFFERENT_CURRENCY);
    assertFailed(createNow(MULTI), ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertFailed(createNow(new TransferRequest(List.of(new Leg("alice", "bob", 100, "USD"),
        new Leg("alice", "bob", 100, "USD")), false, null, META)), ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertFailed(createNow(PENDING_ONE), ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertFailed(createNow(new TransferRequest(ONE.legs(), true, 1L, Map.of())),
        ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertFailed(createNow(new TransferRequest(ONE.legs(), false, null, Map.of())),
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
    assertFailed(createNow(new TransferRequest(ONE.legs(), false, null, Map.of("order", "o-2"))),
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
    expectQuiet("dave", "carol");
  }

  @Test
  public void timeoutSecondsAndLegsOfMultiLegTransfersAreCompared() {
    Transfer t = decideAllPrepared(PENDING_MULTI);
    assertEquals(Status.PENDING, t.status());
    assertFailed(createNow(new TransferRequest(PENDING_MULTI.legs(), true, 2L, META)),
        ResultCode.EXISTS_WITH_DIFFERENT_TIMEOUT_SECONDS);
    assertFailed(createNow(new TransferRequest(PENDING_MULTI.legs(), false, null, META)),
        ResultCode.EXISTS_WITH_DIFFERENT_PENDING);
    assertFailed(createNow(new TransferRequest(List.of(PENDING_MULTI.legs().get(1), PENDING_MULTI.legs().get(0)),
        true, 1L, META)), ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertFailed(createNow(new TransferRequest(List.of(new Leg("alice", "bob", 100, "USD"),
        new Leg("carol", "alice", 11, "USD")), true, 1L, META)), ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    // One leg against two: legs, even though the first leg is the same.
    assertFailed(createNow(new TransferRequest(List.of(new Leg("alice", "bob", 100, "USD")), true, 1L, META)),
        ResultCode.EXISTS_WITH_DIFFERENT_LEGS);
    assertFailed(createNow(new TransferRequest(PENDING_MULTI.legs(), true, 1L, Map.of())),
        ResultCode.EXISTS_WITH_DIFFERENT_METADATA);
    assertEquals(t, done(createNow(new TransferRequest(PENDING_MULTI.legs(), true, 1L, Map.of("order", "o-1")))));
  }

  @Test
  public void identicalCreateOfADecidedTransferReplaysTheOutcomeWithoutAskingAgain() {
    Transfer t = decideAllPrepared(ONE);
    ack(expectPostLeg("alice", null), "alice");
    ack(expectPostLeg("bob", null), "bob");
    settle("alice", "bob");
    CommandResultWithReply<Command, Event, State, Reply> again = createNow(ONE);
    assertEquals(t, done(again));
    assertTrue(again.hasNoEvents());
    TestProbe<Reply> client = testKit.createTestProbe();
    assertTrue(kit.runCommand(new Create(ONE, client.ref())).hasNoEvents());
    assertEquals(t, expectDone(client, false).transfer());
    expectQuiet("alice", "bob");
    assertEquals(List.of(new Decided(t)), persisted());
  }

  @Test
  public void aRejectedIdStaysRejected() {
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    clock.set(T1);
    refused(a, "alice", ResultCode.EXCEEDS_MIN_BALANCE);
    prepared(b, "bob");
    Transfer t = expectDone(client, true).transfer();
    assertEquals(new Rejection(ResultCode.EXCEEDS_MIN_BALANCE, "alice"), t.rejection());
    ack(expectVoidLeg("alice"), "alice");
    ack(expectVoidLeg("bob"), "bob");
    settle("alice", "bob");

    CommandResultWithReply<Command, Event, State, Reply> retry = createNow(ONE);
    assertEquals(t, done(retry));
    assertTrue(retry.hasNoEvents());
    expectQuiet("alice", "bob");
    assertFailed(post(null), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(List.of(new Decided(t)), persisted());
  }

  // ---- commands on an empty coordinator ----------------------------------------------------

  @Test
  public void anEmptyCoordinatorAnswersNotFoundAndIgnoresStrayProtocolMessages() {
    assertFailed(get(), ResultCode.TRANSFER_NOT_FOUND);
    assertFailed(post(null), ResultCode.TRANSFER_NOT_FOUND);
    assertFailed(post(5L), ResultCode.TRANSFER_NOT_FOUND);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_FOUND);
    for (Command stray : List.<Command>of(new TransferEntity.PrepareDeadline(), new TransferEntity.DriveTick(),
        new TransferEntity.ExpiryTick())) {
      CommandResult<Command, Event, State> r = kit.runCommand(stray);
      assertTrue(r.hasNoEvents());
      assertEquals(new Undecided(), r.state());
    }
    expectQuiet("alice", "bob");
    assertEquals(new Undecided(), restartKeepsState());
  }

  // ---- the drive: Post/Void until every account acknowledged ------------------------------

  @Test
  public void theDriveResendsToUnacknowledgedAccountsOnlyAndStopsWhenAllAcked() {
    decideAllPrepared(ONE);
    AccountEntity.PostLeg first = expectPostLeg("alice", null);
    ack(expectPostLeg("bob", null), "bob");
    settle("bob");
    // alice did not ack: she gets PostLeg again every drive interval, bob nothing.
    AccountEntity.PostLeg again = account("alice").expectMessageClass(AccountEntity.PostLeg.class, Duration.ofSeconds(2));
    assertEquals(id, again.transferId());
    assertNull(again.partialAmount());
    expectPostLeg("alice", null);
    account("bob").expectNoMessage(Duration.ofMillis(450)); // more than two drive intervals
    // A duplicate ack of bob and a stale ack of alice (answering her first PostLeg) both count once.
    ack(expectPostLeg("alice", null), "bob");
    ack(first, "alice");
    ack(again, "alice");
    settle("alice", "bob");
    expectQuiet("alice", "bob");
    assertEquals(1, persisted().size());
  }

  @Test
  public void injectedDriveTicksResendOnlyWhileUnacknowledged() {
    decideAllPrepared(ONE);
    AccountEntity.PostLeg a = expectPostLeg("alice", null);
    AccountEntity.PostLeg b = expectPostLeg("bob", null);
    ack(a, "alice");
    ack(b, "bob");
    settle("alice", "bob");
    CommandResult<Command, Event, State> tick = kit.runCommand(new TransferEntity.DriveTick());
    assertTrue(tick.hasNoEvents());
    expectQuiet("alice", "bob");
    CommandResult<Command, Event, State> expiry = kit.runCommand(new TransferEntity.ExpiryTick());
    assertTrue("an expiry tick on a posted transfer does nothing", expiry.hasNoEvents());
    CommandResult<Command, Event, State> deadline = kit.runCommand(new TransferEntity.PrepareDeadline());
    assertTrue(deadline.hasNoEvents());
    assertEquals(1, persisted().size());
  }

  // ---- two-phase: post, void, expiry -----------------------------------------------------

  @Test
  public void postPendingInFullPostsEveryLegAndARepeatAnswersTheSame() {
    Transfer pending = decideAllPrepared(PENDING_ONE);
    clock.set(T2);
    CommandResultWithReply<Command, Event, State, Reply> posted = post(null);
    Transfer want = expected(PENDING_ONE, Status.POSTED, null, null, T2, T1.plusSeconds(1));
    assertEquals(want, done(posted));
    assertEquals(List.of(new PendingPosted(null, T2)), posted.events());
    assertEquals(List.of(new Decided(pending), new PendingPosted(null, T2)), persisted());
    AccountEntity.PostLeg a = expectPostLeg("alice", null);
    AccountEntity.PostLeg b = expectPostLeg("bob", null);
    ack(a, "alice");
    ack(b, "bob");
    settle("alice", "bob");

    CommandResultWithReply<Command, Event, State, Reply> again = post(null);
    assertEquals(want, done(again));
    assertTrue(again.hasNoEvents());
    CommandResultWithReply<Command, Event, State, Reply> fullAmount = post(100L);
    assertEquals("the full amount is the same post", want, done(fullAmount));
    assertTrue(fullAmount.hasNoEvents());
    assertFailed(post(40L), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_PENDING);
    expectQuiet("alice", "bob");
    assertEquals(2, persisted().size());
  }

  @Test
  public void postPendingOfTheFullAmountIsAFullPost() {
    decideAllPrepared(PENDING_ONE);
    clock.set(T2);
    CommandResultWithReply<Command, Event, State, Reply> posted = post(100L);
    assertNull(done(posted).postedAmount());
    assertEquals(List.of(new PendingPosted(null, T2)), posted.events());
    expectPostLeg("alice", null);
    expectPostLeg("bob", null);
  }

  @Test
  public void partialPostPostsOnlyThatAmountOnEveryAccount() {
    decideAllPrepared(PENDING_ONE);
    clock.set(T2);
    CommandResultWithReply<Command, Event, State, Reply> posted = post(40L);
    Transfer want = expected(PENDING_ONE, Status.POSTED, null, 40L, T2, T1.plusSeconds(1));
    assertEquals(want, done(posted));
    assertEquals(List.of(new PendingPosted(40L, T2)), posted.events());
    ack(expectPostLeg("alice", 40L), "alice");
    ack(expectPostLeg("bob", 40L), "bob");
    settle("alice", "bob");

    CommandResultWithReply<Command, Event, State, Reply> again = post(40L);
    assertEquals(want, done(again));
    assertTrue(again.hasNoEvents());
    assertFailed(post(null), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(post(100L), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(post(41L), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(want, done(get()));
    assertEquals(want, restartKeepsState());
    // Recovery drives the accounts again, with the partial amount.
    expectPostLeg("alice", 40L);
    expectPostLeg("bob", 40L);
  }

  @Test
  public void postPendingRefusesAnAmountAbovePendingAndPartialPostsOfMultiLegTransfers() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    assertFailed(post(101L), ResultCode.EXCEEDS_PENDING_AMOUNT);
    assertFailed(post(Long.MAX_VALUE), ResultCode.EXCEEDS_PENDING_AMOUNT);
    assertFailed(post(0L), ResultCode.INVALID_AMOUNT);
    assertFailed(post(-5L), ResultCode.INVALID_AMOUNT);
    assertEquals(t, kit.getState());

    newKit(PREPARE);
    Transfer multi = decideAllPrepared(PENDING_MULTI);
    assertFailed(post(5L), ResultCode.INVALID_AMOUNT);
    assertFailed(post(100L), ResultCode.INVALID_AMOUNT);
    assertEquals(multi, kit.getState());
    expectQuiet("alice", "bob", "carol");
    CommandResultWithReply<Command, Event, State, Reply> full = post(null);
    assertEquals(Status.POSTED, done(full).status());
    expectPostLeg("alice", null);
    expectPostLeg("bob", null);
    expectPostLeg("carol", null);
  }

  @Test
  public void voidPendingReleasesEveryLegAndARepeatAnswersTheSame() {
    Transfer pending = decideAllPrepared(PENDING_ONE);
    clock.set(T2);
    CommandResultWithReply<Command, Event, State, Reply> voided = voidIt();
    Transfer want = expected(PENDING_ONE, Status.VOIDED, null, null, T2, T1.plusSeconds(1));
    assertEquals(want, done(voided));
    assertEquals(List.of(new Decided(pending), new PendingVoided(T2)), persisted());
    ack(expectVoidLeg("alice"), "alice");
    ack(expectVoidLeg("bob"), "bob");
    settle("alice", "bob");

    CommandResultWithReply<Command, Event, State, Reply> again = voidIt();
    assertEquals(want, done(again));
    assertTrue(again.hasNoEvents());
    assertFailed(post(null), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(post(40L), ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(want, done(get()));
    expectQuiet("alice", "bob");
    assertEquals(want, restartKeepsState());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  @Test
  public void postOrVoidOfATransferThatWasNeverPendingIsNotPending() {
    Transfer t = decideAllPrepared(ONE);
    assertFailed(post(null), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(post(100L), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(post(40L), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_PENDING);
    assertEquals(t, kit.getState());
  }

  @Test
  public void postJustBeforeExpiresAtPostsAndAtExpiresAtIsTransferExpired() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    clock.set(t.expiresAt().minusMillis(1));
    assertEquals(Status.POSTED, done(post(null)).status());

    newKit(PREPARE);
    Transfer t2 = decideAllPrepared(PENDING_ONE);
    clock.set(t2.expiresAt());
    CommandResultWithReply<Command, Event, State, Reply> late = post(null);
    assertEquals(ResultCode.TRANSFER_EXPIRED, ((Failed) late.reply()).code());
    Transfer expired = expected(PENDING_ONE, Status.EXPIRED, null, null, t2.expiresAt(), t2.expiresAt());
    assertEquals("the late post records the expiry", List.of(new PendingExpired(t2.expiresAt())), late.events());
    assertEquals(expired, kit.getState());
    ack(expectVoidLeg("alice"), "alice");
    ack(expectVoidLeg("bob"), "bob");
    settle("alice", "bob");
    assertFailed(post(null), ResultCode.TRANSFER_EXPIRED);
    assertFailed(post(40L), ResultCode.TRANSFER_EXPIRED);
    assertFailed(voidIt(), ResultCode.TRANSFER_EXPIRED);
    assertEquals(expired, done(get()));
    assertEquals(List.of(new Decided(t2), new PendingExpired(t2.expiresAt())), persisted());
    expectQuiet("alice", "bob");
  }

  @Test
  public void voidAfterExpiresAtIsTransferExpiredAndVoidsTheLegs() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    clock.set(t.expiresAt().plusSeconds(10));
    CommandResultWithReply<Command, Event, State, Reply> late = voidIt();
    assertEquals(ResultCode.TRANSFER_EXPIRED, ((Failed) late.reply()).code());
    assertEquals(List.of(new PendingExpired(t.expiresAt().plusSeconds(10))), late.events());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  @Test
  public void anExpiryTickBeforeExpiresAtSleepsAgainAndAtExpiresAtExpires() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    clock.set(t.expiresAt().minusMillis(1));
    CommandResult<Command, Event, State> early = kit.runCommand(new TransferEntity.ExpiryTick());
    assertTrue(early.hasNoEvents());
    assertEquals(t, early.state());
    expectQuiet("alice", "bob");
    clock.set(t.expiresAt());
    CommandResult<Command, Event, State> due = kit.runCommand(new TransferEntity.ExpiryTick());
    assertEquals(List.of(new PendingExpired(t.expiresAt())), due.events());
    assertEquals(Status.EXPIRED, ((Transfer) due.state()).status());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
    CommandResult<Command, Event, State> again = kit.runCommand(new TransferEntity.ExpiryTick());
    assertTrue("expiry happens once", again.hasNoEvents());
  }

  @Test
  public void thePendingTimeoutExpiresTheTransferByItselfAndVoidsTheLegs() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    // The timer fires after the real 1 s; the (fixed) clock says it is due by then.
    clock.set(t.expiresAt());
    AccountEntity.VoidLeg a = account("alice").expectMessageClass(AccountEntity.VoidLeg.class, Duration.ofSeconds(4));
    AccountEntity.VoidLeg b = expectVoidLeg("bob");
    assertEquals(List.of(new Decided(t), new PendingExpired(t.expiresAt())), persisted());
    Transfer expired = expected(PENDING_ONE, Status.EXPIRED, null, null, t.expiresAt(), t.expiresAt());
    assertEquals(expired, kit.getState());
    ack(a, "alice");
    ack(b, "bob");
    settle("alice", "bob");
    expectQuiet("alice", "bob");
    assertEquals(expired, restartKeepsState());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  // ---- presumed abort: Resolve -----------------------------------------------------------

  @Test
  public void resolveOnAnEmptyCoordinatorAbortsForGoodAndEveryLaterCreateGetsThatRejection() {
    TestProbe<AccountEntity.Command> asker = account("bob");
    clock.set(T1);
    CommandResult<Command, Event, State> r = kit.runCommand(new Resolve(id, "bob", asker.ref()));
    Transfer aborted = new Transfer(id, null, Status.REJECTED, new Rejection(ResultCode.TRANSFER_TIMED_OUT, "bob"),
        null, T1, T1, null);
    assertEquals(List.of(new Decided(aborted)), r.events());
    assertEquals(aborted, r.state());
    asker.expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));

    // Whatever request comes later for this id, it is this rejection; nothing is prepared.
    assertEquals(aborted, done(createNow(ONE)));
    assertEquals(aborted, done(createNow(MULTI)));
    assertEquals(aborted, done(createNow(PENDING_ONE)));
    assertEquals(aborted, done(get()));
    assertFailed(post(null), ResultCode.TRANSFER_NOT_PENDING);
    assertFailed(voidIt(), ResultCode.TRANSFER_NOT_PENDING);
    // Another account asking later is told to void too, without a new event.
    CommandResult<Command, Event, State> again = kit.runCommand(new Resolve(id, "alice", account("alice").ref()));
    assertTrue(again.hasNoEvents());
    account("alice").expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));
    assertEquals(List.of(new Decided(aborted)), persisted());

    assertEquals(aborted, restartKeepsState());
    expectQuiet("alice", "bob", "carol");
  }

  @Test
  public void resolveWhilePreparingBeforeTheDeadlineAnswersWait() {
    create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    expectPrepare("bob", credit(100));
    prepared(a, "alice");
    clock.set(T0.plus(PREPARE).minusMillis(1));
    CommandResult<Command, Event, State> r = kit.runCommand(new Resolve(id, "alice", account("alice").ref()));
    assertTrue(r.hasNoEvents());
    assertEquals(new Undecided(), r.state());
    account("alice").expectMessage(
        new Resolution(id, Resolution.Outcome.WAIT, null, T0.plus(PREPARE).plus(PREPARE)));
    assertFailed(get(), ResultCode.UNAVAILABLE);
  }

  @Test
  public void resolveWhilePreparingAtTheDeadlineDecidesAtOnceAndVoidsEveryLeg() {
    TestProbe<Reply> client = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    expectPrepare("bob", credit(100));
    prepared(a, "alice");
    Instant deadline = T0.plus(PREPARE);
    clock.set(deadline);
    CommandResult<Command, Event, State> r = kit.runCommand(new Resolve(id, "alice", account("alice").ref()));
    Transfer want = expected(ONE, Status.REJECTED, new Rejection(ResultCode.TRANSFER_TIMED_OUT, "bob"), null,
        deadline, null);
    assertEquals(List.of(new Decided(want)), r.events());
    assertEquals(want, expectDone(client, true).transfer());
    // The asker is driven like every account: a VoidLeg, not a Resolution.
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  @Test
  public void resolveOfADecidedTransferAnswersItsOutcome() {
    // Posted in full.
    decideAllPrepared(ONE);
    kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.POST, null, null));

    // Pending, not yet expired: wait until it expires.
    newKit(PREPARE);
    Transfer pending = decideAllPrepared(PENDING_ONE);
    CommandResult<Command, Event, State> wait = kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    assertTrue(wait.hasNoEvents());
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.WAIT, null, pending.expiresAt()));

    // Posted partially: the posted amount.
    clock.set(T2);
    post(40L);
    kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.POST, 40L, null));

    // Voided.
    newKit(PREPARE);
    decideAllPrepared(PENDING_ONE);
    voidIt();
    kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));

    // Rejected.
    newKit(PREPARE);
    TestProbe<Reply> client = create(ONE);
    refused(expectPrepare("alice", debit(100)), "alice", ResultCode.ACCOUNT_CLOSED);
    prepared(expectPrepare("bob", credit(100)), "bob");
    expectDone(client, true);
    CommandResult<Command, Event, State> rejected = kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    assertTrue(rejected.hasNoEvents());
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));
  }

  @Test
  public void resolveOfAPendingTransferPastItsExpiryExpiresItAndVoids() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    clock.set(t.expiresAt().plusMillis(5));
    CommandResult<Command, Event, State> r = kit.runCommand(new Resolve(id, "bob", account("dave").ref()));
    assertEquals(List.of(new PendingExpired(t.expiresAt().plusMillis(5))), r.events());
    assertEquals(Status.EXPIRED, ((Transfer) r.state()).status());
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));
    expectVoidLeg("alice");
    expectVoidLeg("bob");
    CommandResult<Command, Event, State> again = kit.runCommand(new Resolve(id, "alice", account("dave").ref()));
    assertTrue(again.hasNoEvents());
    account("dave").expectMessage(new Resolution(id, Resolution.Outcome.VOID, null, null));
  }

  /**
   * An account holding a leg under this id although the decided request does not involve it
   * (its leg comes from an earlier, lost prepare round of another request with the same id)
   * must release it: posting it would create money (found by this test; S1, S2).
   */
  @Test
  public void resolveFromAnAccountOutsideThePostedTransferIsToldToVoid() {
    decideAllPrepared(ONE);
    CommandResult<Command, Event, State> r = kit.runCommand(new Resolve(id, "carol", account("carol").ref()));
    assertTrue(r.hasNoEvents());
    AccountEntity.Command answer = account("carol").receiveMessage();
    assertEquals("carol is not part of " + id + " (alice -> bob): its leg must be released",
        new Resolution(id, Resolution.Outcome.VOID, null, null), answer);
  }

  // ---- replay ----------------------------------------------------------------------------

  @Test
  public void restartWhilePreparingForgetsTheRoundAndARetryStartsANewOne() {
    TestProbe<Reply> lost = create(ONE);
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    assertEquals("the prepare round lives in memory only", new Undecided(), restartKeepsState());
    prepared(a, "alice");
    prepared(b, "bob");
    lost.expectNoMessage(QUIET);
    assertEquals(List.of(), persisted());
    assertFailed(get(), ResultCode.TRANSFER_NOT_FOUND);

    clock.set(T0.plusSeconds(1));
    TestProbe<Reply> retry = create(ONE);
    AccountEntity.Prepare a2 = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b2 = expectPrepare("bob", credit(100));
    assertEquals(T0.plusSeconds(1).plus(PREPARE), a2.deadline());
    clock.set(T0.plusSeconds(2));
    prepared(a2, "alice");
    prepared(b2, "bob");
    Transfer t = expectDone(retry, true).transfer();
    assertEquals(new Transfer(id, ONE, Status.POSTED, null, null, T0.plusSeconds(1), T0.plusSeconds(2), null), t);
    assertEquals(List.of(new Decided(t)), persisted());
  }

  @Test
  public void restartOfAPostedTransferResendsPostLegToEveryAccountUntilAcked() {
    Transfer t = decideAllPrepared(MULTI);
    ack(expectPostLeg("alice", null), "alice");
    ack(expectPostLeg("bob", null), "bob");
    ack(expectPostLeg("carol", null), "carol");
    settle("alice", "bob", "carol");
    expectQuiet("alice", "bob", "carol");

    assertEquals(t, restartKeepsState());
    AccountEntity.PostLeg a = expectPostLeg("alice", null);
    AccountEntity.PostLeg b = expectPostLeg("bob", null);
    AccountEntity.PostLeg c = expectPostLeg("carol", null);
    // Until acknowledged, the new incarnation keeps driving.
    expectPostLeg("alice", null);
    ack(a, "alice");
    ack(b, "bob");
    ack(c, "carol");
    settle("alice", "bob", "carol");
    expectQuiet("alice", "bob", "carol");
    assertEquals(List.of(new Decided(t)), persisted());
  }

  @Test
  public void restartOfARejectedTransferResendsVoidLeg() {
    TestProbe<Reply> client = create(ONE);
    refused(expectPrepare("alice", debit(100)), "alice", ResultCode.CURRENCY_MISMATCH);
    prepared(expectPrepare("bob", credit(100)), "bob");
    Transfer t = expectDone(client, true).transfer();
    ack(expectVoidLeg("alice"), "alice");
    ack(expectVoidLeg("bob"), "bob");
    settle("alice", "bob");
    assertEquals(t, restartKeepsState());
    expectVoidLeg("alice");
    expectVoidLeg("bob");
  }

  @Test
  public void restartAtEveryStepOfATwoPhaseTransferRebuildsTheSameState() {
    assertEquals(new Undecided(), restartKeepsState());
    Transfer pending = decideAllPrepared(PENDING_ONE);
    assertEquals(pending, restartKeepsState());
    expectQuiet("alice", "bob");

    clock.set(T2);
    Transfer posted = done(post(30L));
    ack(expectPostLeg("alice", 30L), "alice");
    ack(expectPostLeg("bob", 30L), "bob");
    settle("alice", "bob");
    assertEquals(posted, restartKeepsState());
    ack(expectPostLeg("alice", 30L), "alice");
    ack(expectPostLeg("bob", 30L), "bob");
    settle("alice", "bob");
    expectQuiet("alice", "bob");
    // Retries after the restart still answer the same.
    assertEquals(posted, done(post(30L)));
    assertEquals(posted, done(createNow(PENDING_ONE)));
    assertEquals(List.of(new Decided(pending), new PendingPosted(30L, T2)), persisted());
  }

  @Test
  public void aPendingTransferRecoveredPastItsExpiryExpiresAtOnce() {
    Transfer t = decideAllPrepared(PENDING_ONE);
    clock.set(t.expiresAt().plusSeconds(60));
    kit.restart();
    AccountEntity.VoidLeg a = expectVoidLeg("alice");
    expectVoidLeg("bob");
    assertEquals(a.transferId(), id);
    Transfer expired = expected(PENDING_ONE, Status.EXPIRED, null, null, t.expiresAt().plusSeconds(60),
        t.expiresAt());
    assertEquals(expired, kit.getState());
    assertEquals(List.of(new Decided(t), new PendingExpired(t.expiresAt().plusSeconds(60))), persisted());
  }

  @Test
  public void eventsAreTaggedWithAStableTagWithinTheConfiguredCount() {
    assertEquals("transfer-" + Math.floorMod("t-42".hashCode(), 8), TransferEntity.tag("t-42", 8));
    for (int i = 0; i < 1000; i++) {
      int n = Integer.parseInt(TransferEntity.tag("t-" + i, 8).substring("transfer-".length()));
      assertTrue(n >= 0 && n < 8);
    }
    assertEquals("Transfer|" + id, TransferEntity.persistenceId(id).id());
  }

  @Test
  public void requestsAreNormalizedAndCheckedWhenBuilt() {
    try {
      new TransferRequest(List.of(), false, null, Map.of());
      fail("no legs");
    } catch (IllegalArgumentException expected) {
      // refused
    }
    try {
      new TransferRequest(ONE.legs(), true, null, Map.of());
      fail("pending without a timeout");
    } catch (IllegalArgumentException expected) {
      // refused
    }
    try {
      new TransferRequest(ONE.legs(), false, 5L, Map.of());
      fail("a timeout without pending");
    } catch (IllegalArgumentException expected) {
      // refused
    }
    try {
      new Leg("alice", "alice", 1, "USD");
      fail("same account on both sides");
    } catch (IllegalArgumentException expected) {
      // refused
    }
    assertEquals(null, ONE.firstDifference(oneLeg("alice", "bob", 100, "USD")));
  }

  // ---- who asked (docs/design.md "Audit") ------------------------------------------------

  @Test
  public void theDecisionNamesWhoSentTheFirstCreateAndPostOrVoidNameTheirCaller() {
    TestProbe<Reply> first = testKit.createTestProbe();
    TestProbe<Reply> retry = testKit.createTestProbe();
    createdAt = clock.instant();
    kit.runCommand(new Create(PENDING_ONE, "k-first", first.ref()));
    kit.runCommand(new Create(PENDING_ONE, "jwt:retrier", retry.ref()));
    AccountEntity.Prepare a = expectPrepare("alice", debit(100));
    AccountEntity.Prepare b = expectPrepare("bob", credit(100));
    clock.set(T1);
    prepared(a, "alice");
    prepared(b, "bob");
    Transfer pending = expectDone(first, true).transfer();
    expectDone(retry, false);
    assertEquals(List.of(new Decided(pending, "k-first")), persisted());

    clock.set(T2);
    var posted = kit.<Reply>runCommand(replyTo -> new TransferEntity.PostPending(40L, "jwt:ops", replyTo));
    assertEquals(List.of(new PendingPosted(40L, T2, "jwt:ops")), posted.events());
    assertEquals(kit.getState(), restartKeepsState());

    newKit(PREPARE);
    decideAllPrepared(PENDING_ONE);
    clock.set(T2);
    var voided = kit.<Reply>runCommand(replyTo -> new TransferEntity.VoidPending("k-voider", replyTo));
    assertEquals(List.of(new PendingVoided(T2, "k-voider")), voided.events());
    assertNull("a create without a caller (an older node) records none",
        ((Decided) persisted().get(0)).requestedBy());
  }
}
