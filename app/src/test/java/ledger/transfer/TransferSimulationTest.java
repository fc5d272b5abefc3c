package ledger.transfer;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.StorageFailure;
import akka.persistence.testkit.WriteEvents;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import ledger.LedgerNode;
import ledger.account.Account;
import ledger.account.AccountEntity;
import ledger.account.AccountSpec;
import ledger.account.Posting;
import ledger.core.ResultCode;
import ledger.testing.TestNodes;
import ledger.transfer.Transfer.Status;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * A seeded simulation of the whole protocol on one node with the in-memory journal: hundreds
 * of accounts, thousands of random one-leg, multi-leg and pending transfers (over limits, to
 * locked, closed, missing and other-currency accounts, retried with the same id, retried with
 * changed fields), with injected journal write failures that restart entities mid-protocol:
 * single writes, an account's group of events, and a request of the ledger's journal that
 * carried the writes of several entities (all of them fail together).
 *
 * Phase 1 runs operations one at a time against an independent reference model: after each
 * one settles, every involved account must equal the model exactly and the transfer's status
 * must be the model's (or, only where a fault was injected during it, rejected with
 * transfer_timed_out). Phase 2 runs a concurrent burst whose outcomes the model cannot order;
 * it then reconciles every account with the final statuses of all transfers (S2, S3, S5), and
 * checks S1 and S4. Finally entities rebuilt from the journal equal the live ones (S7).
 *
 * Rerun a failure with {@code mvn -B test -pl app -Dtest=TransferSimulationTest -Dledger.sim.seed=N}.
 */
public class TransferSimulationTest {
  private static final long SEED = Long.getLong("ledger.sim.seed", System.nanoTime());
  private static final int SEQUENTIAL_OPS = Integer.getInteger("ledger.sim.ops", 1200);
  private static final int BURST_TRANSFERS = Integer.getInteger("ledger.sim.burst", 800);
  private static final double FAULT_RATE = 0.004;
  /** Group commits (an account's write of several events) fail more often, so some always do. */
  private static final double GROUP_FAULT_RATE = 0.05;
  /**
   * The ledger's journal sends the writes of many entities in one request, and a failed request
   * fails every write it carried: at this rate a failure also fails the next 1 to
   * {@link #REQUEST_WRITES_MAX} entity writes that arrive within {@link #REQUEST_WINDOW_NANOS},
   * whichever entities they are.
   */
  private static final double REQUEST_FAULT_RATE = 0.002;
  private static final int REQUEST_WRITES_MAX = 4;
  private static final long REQUEST_WINDOW_NANOS = 20_000_000L;
  private static final Duration ASK = Duration.ofSeconds(3);

  private static LedgerNode node;
  private static ClusterSharding sharding;
  private static final AtomicBoolean faultsOn = new AtomicBoolean(false);
  private static final AtomicInteger faults = new AtomicInteger();
  private static final AtomicInteger groupWrites = new AtomicInteger();
  private static final AtomicInteger groupFaults = new AtomicInteger();
  /** Failed requests of several writes: how many, and the writes they failed besides the first. */
  private static final AtomicInteger requestFaults = new AtomicInteger();
  private static final AtomicInteger requestFaultedWrites = new AtomicInteger();
  private static long requestFailsUntil;
  private static int requestFailsLeft;
  private static Random faultRandom;

  private final Random random = new Random(SEED);
  private final Model model = new Model();
  private final List<String> usd = new ArrayList<>();
  private final List<String> eur = new ArrayList<>();
  private final List<String> openPending = new ArrayList<>();
  private final Map<String, Integer> opCounts = new LinkedHashMap<>();
  private int transferSeq;

  @BeforeClass
  public static void start() {
    System.out.println("TransferSimulationTest seed=" + SEED + " (rerun with -Dledger.sim.seed=" + SEED + ")");
    faultRandom = new Random(SEED ^ 0x5DEECE66DL);
    requestFailsUntil = System.nanoTime(); // a window already closed (nanoTime is compared by difference)
    node = LedgerNode.start(ConfigFactory.parseMap(Map.of(
        "ledger.transfer.prepare-timeout", "1500ms",
        "ledger.transfer.presumed-abort-after", "2s",
        "ledger.transfer.pending-check-interval", "100ms",
        "ledger.transfer.drive-retry-interval", "100ms",
        "ledger.account.snapshot-every-events", 7,
        "ledger.http.ask-timeout", "3s"))
        .withFallback(TestNodes.inMemoryNode()), Duration.ofSeconds(30));
    sharding = ClusterSharding.get(node.system());
    PersistenceTestKit.create(node.system()).withPolicy((String pid, JournalOperation op) -> {
      boolean entity = pid.startsWith("Account|") || pid.startsWith("Transfer|");
      if (entity && op instanceof WriteEvents w && faultsOn.get()) {
        boolean group = w.batch().size() > 1;
        boolean fail;
        synchronized (faultRandom) {
          long now = System.nanoTime();
          if (requestFailsLeft > 0 && now - requestFailsUntil < 0) {
            fail = true;
            requestFailsLeft--;
            requestFaultedWrites.incrementAndGet();
          } else {
            fail = faultRandom.nextDouble() < (group ? GROUP_FAULT_RATE : FAULT_RATE);
            if (!fail && faultRandom.nextDouble() < REQUEST_FAULT_RATE) {
              fail = true;
              requestFaults.incrementAndGet();
              requestFailsUntil = now + REQUEST_WINDOW_NANOS;
              requestFailsLeft = 1 + faultRandom.nextInt(REQUEST_WRITES_MAX);
            }
          }
        }
        if (group) {
          groupWrites.incrementAndGet();
        }
        if (fail) {
          faults.incrementAndGet();
          if (group) {
            groupFaults.incrementAndGet();
          }
          return StorageFailure.create(new RuntimeException("injected journal failure for " + pid));
        }
      }
      return ProcessingSuccess.getInstance();
    });
  }

  @AfterClass
  public static void stop() {
    node.stop(Duration.ofSeconds(30));
  }

  @Test
  public void randomWorkloadMatchesTheReferenceModelAndKeepsTheBooksBalanced() throws Exception {
    setUpAccounts();
    faultsOn.set(true);
    for (int i = 0; i < SEQUENTIAL_OPS; i++) {
      sequentialOperation(i);
    }
    burst();
    faultsOn.set(false);
    closeOutPending();
    checkReplay();
    System.out.println("TransferSimulationTest seed=" + SEED + " operations " + opCounts + ", burst "
        + BURST_TRANSFERS + ", injected journal failures " + faults.get() + ", group commits " + groupWrites.get()
        + " (failed " + groupFaults.get() + "), failed requests of many writes " + requestFaults.get()
        + " (other writes failed with them " + requestFaultedWrites.get() + ")");
    assertTrue("the run injected faults", faults.get() > 0 || SEQUENTIAL_OPS < 200);
    assertTrue("the run failed requests of many writes", requestFaultedWrites.get() > 0 || SEQUENTIAL_OPS < 200);
    assertTrue("the burst made accounts commit groups of events", groupWrites.get() > 0 || BURST_TRANSFERS < 200);
  }

  // ---- set-up -----------------------------------------------------------------------------

  private void setUpAccounts() throws Exception {
    createAccount("op-USD", "USD", null, null);
    createAccount("op-EUR", "EUR", null, null);
    for (int i = 0; i < 150; i++) {
      String currency = i % 3 == 2 ? "EUR" : "USD";
      String id = "acc-" + i;
      createAccount(id, currency, i % 10 == 9 ? -200L : 0L, i % 7 == 6 ? 1500L : null);
      (currency.equals("USD") ? usd : eur).add(id);
    }
    List<CompletableFuture<?>> funding = new ArrayList<>();
    for (String id : model.accounts.keySet()) {
      if (!id.startsWith("op-")) {
        MAccount a = model.accounts.get(id);
        TransferRequest req = oneLeg("op-" + a.currency, id, 1000, a.currency, false);
        funding.add(CompletableFuture.runAsync(() -> expectDecided("fund-" + id, req, Status.POSTED)));
        model.decide(req, null, false);
      }
      if (funding.size() == 20) {
        CompletableFuture.allOf(funding.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        funding.clear();
      }
    }
    CompletableFuture.allOf(funding.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    for (int i = 0; i < 5; i++) {
      createAccount("closed-" + i, "USD", 0L, null);
      accountCommand("closed-" + i, AccountEntity.Close::new);
      model.accounts.get("closed-" + i).status = Account.Status.CLOSED;
      lockToggle(usd.get(i * 7));
    }
    settle(model.accounts.keySet());
  }

  private void createAccount(String id, String currency, Long min, Long max) {
    AccountEntity.Reply r = accountCommand(id, rt -> new AccountEntity.Create(new AccountSpec(currency, min, max, Map.of()), rt));
    assertTrue(String.valueOf(r), r instanceof AccountEntity.Accepted);
    model.accounts.put(id, new MAccount(id, currency, min, max));
  }

  // ---- phase 1: one operation at a time against the model -------------------------------

  private void sequentialOperation(int n) {
    int roll = random.nextInt(100);
    int faultsBefore = faults.get();
    if (roll < 35) {
      count("one-leg");
      String currency = random.nextBoolean() ? "USD" : "EUR";
      String[] pair = pair(currency);
      transfer(oneLeg(pair[0], pair[1], 1 + random.nextInt(200), currency, false), faultsBefore);
    } else if (roll < 42) {
      count("over-limit");
      String[] pair = pair("USD");
      transfer(oneLeg(pair[0], pair[1], 10_000_000, "USD", false), faultsBefore);
    } else if (roll < 50) {
      count("odd-account");
      transfer(oddAccountTransfer(), faultsBefore);
    } else if (roll < 62) {
      count("multi-leg");
      transfer(multiLeg(), faultsBefore);
    } else if (roll < 71) {
      count("pending");
      String[] pair = pair("USD");
      String id = transfer(oneLeg(pair[0], pair[1], 1 + random.nextInt(300), "USD", true), faultsBefore);
      if (model.transfers.get(id).status == Status.PENDING) {
        openPending.add(id);
      }
    } else if (roll < 79) {
      count("post");
      postOrVoid(true);
    } else if (roll < 84) {
      count("void");
      postOrVoid(false);
    } else if (roll < 85 && n % 4 == 0) {
      count("expiry");
      expiry(faultsBefore);
    } else if (roll < 92) {
      count("identical-retry");
      identicalRetry();
    } else if (roll < 97) {
      count("changed-retry");
      changedRetry();
    } else {
      count("lock-toggle");
      lockToggle(random.nextBoolean() ? usd.get(random.nextInt(usd.size())) : eur.get(random.nextInt(eur.size())));
    }
  }

  /** Sends a new transfer, checks its outcome against the model, waits until it settles. */
  private String transfer(TransferRequest req, int faultsBefore) {
    String id = "t-" + (++transferSeq);
    Transfer.Rejection predicted = model.predict(req);
    TransferEntity.Done done = createUntilDecided(id, req);
    Transfer t = done.transfer();
    boolean faulted = faults.get() != faultsBefore;
    Status expected = predicted != null ? Status.REJECTED : req.pending() ? Status.PENDING : Status.POSTED;
    boolean timedOut = t.status() == Status.REJECTED && t.rejection().code() == ResultCode.TRANSFER_TIMED_OUT;
    if (faulted && timedOut && predicted == null) {
      model.record(id, t, null);
    } else {
      assertEquals(context(id, req), expected, t.status());
      if (predicted != null && !(faulted && timedOut)) {
        assertEquals(context(id, req), predicted, t.rejection());
      }
      model.record(id, t, predicted == null ? req : null);
    }
    if (t.request() != null) {
      assertEquals(req, t.request());
    }
    settle(req.postingsByAccount().keySet());
    return id;
  }

  private void postOrVoid(boolean post) {
    if (openPending.isEmpty() || random.nextInt(10) == 0) {
      MTransfer posted = randomTransfer(t -> t.status == Status.POSTED && t.request != null && !t.request.pending());
      if (posted != null) {
        TransferEntity.Reply r = transferCommand(posted.id, rt -> post ? new TransferEntity.PostPending(null, rt)
            : new TransferEntity.VoidPending(rt));
        assertEquals(ResultCode.TRANSFER_NOT_PENDING, ((TransferEntity.Failed) r).code());
      }
      return;
    }
    String id = openPending.remove(random.nextInt(openPending.size()));
    MTransfer mt = model.transfers.get(id);
    long full = mt.request.legs().get(0).amount();
    Long amount = post && random.nextBoolean() ? (Long) (1 + (long) random.nextInt((int) full)) : null;
    if (post && random.nextInt(8) == 0) {
      TransferEntity.Reply tooMuch = transferCommand(id, rt -> new TransferEntity.PostPending(full + 1, rt));
      assertEquals(ResultCode.EXCEEDS_PENDING_AMOUNT, ((TransferEntity.Failed) tooMuch).code());
    }
    TransferEntity.Reply r = retryWhileUnavailable(() -> transferCommand(id,
        rt -> post ? new TransferEntity.PostPending(amount, rt) : new TransferEntity.VoidPending(rt)));
    Transfer t = ((TransferEntity.Done) r).transfer();
    assertEquals(post ? Status.POSTED : Status.VOIDED, t.status());
    model.finishPending(id, post, amount == null || amount == full ? null : amount);
    // Doing it again is idempotent, the other action is refused.
    TransferEntity.Reply again = transferCommand(id, rt -> post ? new TransferEntity.PostPending(amount, rt)
        : new TransferEntity.VoidPending(rt));
    assertEquals(t.status(), ((TransferEntity.Done) again).transfer().status());
    TransferEntity.Reply other = transferCommand(id, rt -> post ? new TransferEntity.VoidPending(rt)
        : new TransferEntity.PostPending(null, rt));
    assertEquals(ResultCode.TRANSFER_NOT_PENDING, ((TransferEntity.Failed) other).code());
    settle(mt.request.postingsByAccount().keySet());
  }

  private void expiry(int faultsBefore) {
    String[] pair = pair("USD");
    TransferRequest req = new TransferRequest(List.of(new Leg(pair[0], pair[1], 1 + random.nextInt(50), "USD")),
        true, 1L, Map.of());
    String id = transfer(req, faultsBefore);
    if (model.transfers.get(id).status != Status.PENDING) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Transfer t;
    do {
      sleep(200);
      t = ((TransferEntity.Done) retryWhileUnavailable(() -> transferCommand(id, TransferEntity.Get::new))).transfer();
    } while (t.status() == Status.PENDING && System.nanoTime() < deadline);
    assertEquals("expired by itself, no client acting", Status.EXPIRED, t.status());
    assertEquals(ResultCode.TRANSFER_EXPIRED,
        ((TransferEntity.Failed) transferCommand(id, rt -> new TransferEntity.PostPending(null, rt))).code());
    model.finishPending(id, false, null);
    model.transfers.get(id).status = Status.EXPIRED;
    settle(req.postingsByAccount().keySet());
  }

  private void identicalRetry() {
    MTransfer mt = randomTransfer(t -> t.request != null);
    if (mt == null) {
      return;
    }
    TransferEntity.Done done = createUntilDecided(mt.id, mt.request);
    assertEquals("retry " + mt.id, mt.status, done.transfer().status());
    assertEquals("retry " + mt.id, mt.rejection, done.transfer().rejection());
    assertEquals(false, done.created());
  }

  private void changedRetry() {
    MTransfer mt = randomTransfer(t -> true);
    if (mt == null) {
      return;
    }
    if (mt.request == null) {
      TransferRequest any = oneLeg(usd.get(0), usd.get(1), 1, "USD", false);
      TransferEntity.Done done = createUntilDecided(mt.id, any);
      assertEquals("a presumed-aborted id stays rejected", mt.rejection, done.transfer().rejection());
      return;
    }
    TransferRequest r = mt.request;
    Leg first = r.legs().get(0);
    Object[][] changes = {
        {ResultCode.EXISTS_WITH_DIFFERENT_AMOUNT, new Leg(first.debitAccountId(), first.creditAccountId(), first.amount() + 1, first.currency())},
        {ResultCode.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID, new Leg(first.debitAccountId(), first.creditAccountId() + "x", first.amount(), first.currency())},
        {ResultCode.EXISTS_WITH_DIFFERENT_METADATA, null}};
    Object[] change = changes[random.nextInt(changes.length)];
    TransferRequest changed;
    ResultCode expected = (ResultCode) change[0];
    if (change[1] == null) {
      changed = new TransferRequest(r.legs(), r.pending(), r.timeoutSeconds(), Map.of("changed", "yes"));
    } else {
      List<Leg> legs = new ArrayList<>(r.legs());
      legs.set(0, (Leg) change[1]);
      changed = new TransferRequest(legs, r.pending(), r.timeoutSeconds(), r.metadata());
      if (legs.size() > 1) {
        expected = ResultCode.EXISTS_WITH_DIFFERENT_LEGS;
      }
    }
    TransferEntity.Reply reply = createReply(mt.id, changed);
    assertEquals(expected, ((TransferEntity.Failed) reply).code());
  }

  private void lockToggle(String id) {
    MAccount a = model.accounts.get(id);
    boolean lock = a.status == Account.Status.OPEN;
    AccountEntity.Reply r = accountCommand(id, lock ? AccountEntity.Lock::new : AccountEntity.Unlock::new);
    assertEquals(lock ? Account.Status.LOCKED : Account.Status.OPEN, ((AccountEntity.Accepted) r).account().status());
    a.status = lock ? Account.Status.LOCKED : Account.Status.OPEN;
  }

  // ---- phase 2: a concurrent burst, reconciled afterwards ---------------------------------

  private void burst() throws Exception {
    Map<String, TransferRequest> sent = new LinkedHashMap<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < BURST_TRANSFERS; i++) {
      String id = "burst-" + i;
      String currency = random.nextInt(3) == 0 ? "EUR" : "USD";
      String[] pair = pair(currency);
      TransferRequest req = random.nextInt(4) == 0 ? multiLeg()
          : oneLeg(pair[0], pair[1], 1 + random.nextInt(400), currency, false);
      sent.put(id, req);
      ids.add(id);
      if (random.nextInt(10) == 0) {
        ids.add(id); // the same transfer sent twice at once
      }
    }
    for (int from = 0; from < ids.size(); from += 40) {
      List<CompletableFuture<?>> wave = new ArrayList<>();
      for (String id : ids.subList(from, Math.min(ids.size(), from + 40))) {
        wave.add(CompletableFuture.runAsync(() -> createUntilDecided(id, sent.get(id))));
      }
      CompletableFuture.allOf(wave.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
    for (Map.Entry<String, TransferRequest> e : sent.entrySet()) {
      Transfer t = ((TransferEntity.Done) retryWhileUnavailable(
          () -> transferCommand(e.getKey(), TransferEntity.Get::new))).transfer();
      assertTrue(t.status() == Status.POSTED || t.status() == Status.REJECTED);
      if (t.status() == Status.POSTED) {
        assertEquals(e.getValue(), t.request());
        model.decide(e.getValue(), null, false);
      }
    }
    settle(model.accounts.keySet());
    checkBooks();
  }

  private void closeOutPending() {
    for (String id : new ArrayList<>(openPending)) {
      retryWhileUnavailable(() -> transferCommand(id, TransferEntity.VoidPending::new));
      model.finishPending(id, false, null);
    }
    openPending.clear();
    settle(model.accounts.keySet());
    checkBooks();
    for (MAccount a : model.accounts.values()) {
      assertEquals(a.id, 0, a.debitsPending + a.creditsPending);
    }
  }

  /** S1 per currency over every account, and S4 for each account, on the live entities. */
  private void checkBooks() {
    Map<String, long[]> totals = new HashMap<>();
    for (String id : model.accounts.keySet()) {
      Account a = getAccount(id);
      long[] t = totals.computeIfAbsent(a.currency(), c -> new long[4]);
      t[0] += a.debitsPosted();
      t[1] += a.creditsPosted();
      t[2] += a.debitsPending();
      t[3] += a.creditsPending();
      assertTrue("S4 min on " + id, a.minBalance() == null || a.available() >= a.minBalance());
      assertTrue("S4 max on " + id, a.maxBalance() == null
          || a.creditsPosted() + a.creditsPending() - a.debitsPosted() <= a.maxBalance());
    }
    totals.forEach((currency, t) -> {
      assertEquals("S1 posted " + currency, t[0], t[1]);
      assertEquals("S1 pending " + currency, t[2], t[3]);
    });
  }

  /** S7: an entity rebuilt from snapshot + events answers exactly what the live one does. */
  private void checkReplay() {
    ActorTestKit kit = ActorTestKit.create(node.system());
    AccountEntity.Settings accountSettings = AccountEntity.Settings.fromConfig(node.system().settings().config());
    TransferEntity.Settings transferSettings = TransferEntity.Settings.fromConfig(node.system().settings().config());
    List<String> accountIds = new ArrayList<>(model.accounts.keySet());
    for (int i = 0; i < 25; i++) {
      String id = accountIds.get(random.nextInt(accountIds.size()));
      var replayed = kit.spawn(AccountEntity.create(id, accountSettings,
          new AccountEntity.Environment(
              TransferEntity.coordinators(tid -> sharding.entityRefFor(TransferEntity.TYPE_KEY, tid)), null, Clock.systemUTC())));
      AccountEntity.Reply r = ask(replayed, AccountEntity.Get::new);
      assertEquals("S7 " + id, getAccount(id), ((AccountEntity.Accepted) r).account());
      kit.stop(replayed);
    }
    List<String> transferIds = new ArrayList<>(model.transfers.keySet());
    for (int i = 0; i < 25; i++) {
      String id = transferIds.get(random.nextInt(transferIds.size()));
      var replayed = kit.spawn(TransferEntity.create(id, transferSettings,
          new TransferEntity.Environment(aid -> sharding.entityRefFor(AccountEntity.TYPE_KEY, aid), null,
              Clock.systemUTC())));
      TransferEntity.Reply replayedReply = ask(replayed, TransferEntity.Get::new);
      assertEquals("S7 " + id, transferCommand(id, TransferEntity.Get::new), replayedReply);
      kit.stop(replayed);
    }
  }

  // ---- client side: asks with retries, like a real client -------------------------------

  private void expectDecided(String id, TransferRequest req, Status status) {
    Transfer t = createUntilDecided(id, req).transfer();
    assertEquals(id + " " + t.rejection(), status, t.status());
  }

  private TransferEntity.Done createUntilDecided(String id, TransferRequest req) {
    TransferEntity.Reply reply = createReply(id, req);
    assertTrue(id + ": " + reply, reply instanceof TransferEntity.Done);
    return (TransferEntity.Done) reply;
  }

  /** A timeout or 'unavailable' means "outcome unknown": retry with the same id. */
  private TransferEntity.Reply createReply(String id, TransferRequest req) {
    return retryWhileUnavailable(() -> transferCommand(id, rt -> new TransferEntity.Create(req, rt)));
  }

  private static TransferEntity.Reply retryWhileUnavailable(java.util.function.Supplier<TransferEntity.Reply> call) {
    for (int attempt = 0; attempt < 20; attempt++) {
      TransferEntity.Reply reply;
      try {
        reply = call.get();
      } catch (RuntimeException timeout) {
        continue;
      }
      if (!(reply instanceof TransferEntity.Failed f && f.code() == ResultCode.UNAVAILABLE)) {
        return reply;
      }
      sleep(100);
    }
    throw new AssertionError("no definite answer after 20 attempts");
  }

  private static TransferEntity.Reply transferCommand(String id,
      akka.japi.function.Function<ActorRef<TransferEntity.Reply>, TransferEntity.Command> command) {
    return sharding.entityRefFor(TransferEntity.TYPE_KEY, id).ask(command, ASK).toCompletableFuture().join();
  }

  private static AccountEntity.Reply accountCommand(String id,
      akka.japi.function.Function<ActorRef<AccountEntity.Reply>, AccountEntity.Command> command) {
    for (int attempt = 0; ; attempt++) {
      try {
        return sharding.entityRefFor(AccountEntity.TYPE_KEY, id).ask(command, ASK).toCompletableFuture().join();
      } catch (RuntimeException timeout) {
        if (attempt == 10) {
          throw timeout;
        }
      }
    }
  }

  private static <R, C> R ask(ActorRef<C> ref, akka.japi.function.Function<ActorRef<R>, C> command) {
    return AskPattern.ask(ref, command, ASK, node.system().scheduler()).toCompletableFuture().join();
  }

  private static Account getAccount(String id) {
    AccountEntity.Reply r = accountCommand(id, AccountEntity.Get::new);
    assertTrue(id + ": " + r, r instanceof AccountEntity.Accepted);
    return ((AccountEntity.Accepted) r).account();
  }

  /** Waits until every given account equals the model (the protocol's last round is asynchronous). */
  private void settle(Iterable<String> accountIds) {
    for (String id : accountIds) {
      MAccount m = model.accounts.get(id);
      if (m == null) {
        continue;
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      Account a = getAccount(id);
      while (!m.matches(a) && System.nanoTime() < deadline) {
        sleep(20);
        a = getAccount(id);
      }
      if (!m.matches(a)) {
        fail("seed " + SEED + ": account " + id + " is " + a + " but the model says " + m);
      }
    }
  }

  // ---- random requests --------------------------------------------------------------------

  private String[] pair(String currency) {
    List<String> pool = currency.equals("USD") ? usd : eur;
    int a = random.nextInt(pool.size());
    int b = (a + 1 + random.nextInt(pool.size() - 1)) % pool.size();
    if (random.nextInt(12) == 0) {
      return new String[] {"op-" + currency, pool.get(b)};
    }
    return new String[] {pool.get(a), pool.get(b)};
  }

  private TransferRequest oddAccountTransfer() {
    String[] pair = pair("USD");
    String odd = switch (random.nextInt(4)) {
      case 0 -> "ghost-" + random.nextInt(5);
      case 1 -> "closed-" + random.nextInt(5);
      case 2 -> eur.get(random.nextInt(eur.size()));
      default -> usd.get(random.nextInt(5) * 7); // locked at set-up, unless toggled since
    };
    if (odd.equals(pair[0]) || odd.equals(pair[1])) {
      odd = "ghost-9";
    }
    return random.nextBoolean() ? oneLeg(pair[0], odd, 5, "USD", false) : oneLeg(odd, pair[1], 5, "USD", false);
  }

  private TransferRequest multiLeg() {
    int n = 2 + random.nextInt(3);
    List<Leg> legs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String currency = random.nextInt(4) == 0 ? "EUR" : "USD";
      String[] pair = pair(currency);
      legs.add(new Leg(pair[0], pair[1], 1 + random.nextInt(random.nextInt(10) == 0 ? 5000 : 150), currency));
    }
    return new TransferRequest(legs, false, null, Map.of("legs", Integer.toString(n)));
  }

  /**
   * A pending transfer's timeout is an hour: far longer than a run, even on a slow host, so none
   * expires while the model holds it open (expiry has its own case with a 1 s timeout).
   */
  private static TransferRequest oneLeg(String debit, String credit, long amount, String currency, boolean pending) {
    return new TransferRequest(List.of(new Leg(debit, credit, amount, currency)), pending, pending ? 3600L : null,
        Map.of());
  }

  private MTransfer randomTransfer(java.util.function.Predicate<MTransfer> filter) {
    List<MTransfer> candidates = model.transfers.values().stream().filter(filter).toList();
    return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
  }

  private void count(String op) {
    opCounts.merge(op, 1, Integer::sum);
  }

  private String context(String id, TransferRequest req) {
    return "seed " + SEED + ", transfer " + id + " " + req;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- the reference model: the rules of docs/design.md, written independently ---------------

  static final class MAccount {
    final String id;
    final String currency;
    final Long min;
    final Long max;
    Account.Status status = Account.Status.OPEN;
    long debitsPosted;
    long creditsPosted;
    long debitsPending;
    long creditsPending;

    MAccount(String id, String currency, Long min, Long max) {
      this.id = id;
      this.currency = currency;
      this.min = min;
      this.max = max;
    }

    boolean matches(Account a) {
      return a.status() == status && a.debitsPosted() == debitsPosted && a.creditsPosted() == creditsPosted
          && a.debitsPending() == debitsPending && a.creditsPending() == creditsPending
          && Objects.equals(a.minBalance(), min) && Objects.equals(a.maxBalance(), max);
    }

    @Override
    public String toString() {
      return id + " " + status + " dp=" + debitsPosted + " cp=" + creditsPosted + " dpend=" + debitsPending
          + " cpend=" + creditsPending;
    }
  }

  static final class MTransfer {
    final String id;
    final TransferRequest request;
    Status status;
    final Transfer.Rejection rejection;

    MTransfer(String id, TransferRequest request, Status status, Transfer.Rejection rejection) {
      this.id = id;
      this.request = request;
      this.status = status;
      this.rejection = rejection;
    }
  }

  static final class Model {
    final Map<String, MAccount> accounts = new LinkedHashMap<>();
    final Map<String, MTransfer> transfers = new LinkedHashMap<>();

    /** The first refusal in precedence order (leg order, debit first), or null. */
    Transfer.Rejection predict(TransferRequest req) {
      for (Map.Entry<String, List<Posting>> e : req.postingsByAccount().entrySet()) {
        ResultCode code = refusal(accounts.get(e.getKey()), e.getValue());
        if (code != null) {
          return new Transfer.Rejection(code, e.getKey());
        }
      }
      return null;
    }

    private static ResultCode refusal(MAccount a, List<Posting> postings) {
      if (a == null) {
        return ResultCode.ACCOUNT_NOT_FOUND;
      }
      if (a.status == Account.Status.CLOSED) {
        return ResultCode.ACCOUNT_CLOSED;
      }
      if (a.status == Account.Status.LOCKED) {
        return ResultCode.ACCOUNT_LOCKED;
      }
      long debit = 0;
      long credit = 0;
      for (Posting p : postings) {
        if (!p.currency().equals(a.currency)) {
          return ResultCode.CURRENCY_MISMATCH;
        }
        if (p.side() == Posting.Side.DEBIT) {
          debit += p.amount();
        } else {
          credit += p.amount();
        }
      }
      if (a.min != null && a.creditsPosted - a.debitsPosted - (a.debitsPending + debit) < a.min) {
        return ResultCode.EXCEEDS_MIN_BALANCE;
      }
      if (a.max != null && a.creditsPosted + a.creditsPending + credit - a.debitsPosted > a.max) {
        return ResultCode.EXCEEDS_MAX_BALANCE;
      }
      return null;
    }

    /** Applies an accepted transfer: posted at once, or held as pending. */
    void decide(TransferRequest req, String id, boolean pending) {
      for (Map.Entry<String, List<Posting>> e : req.postingsByAccount().entrySet()) {
        MAccount a = accounts.get(e.getKey());
        for (Posting p : e.getValue()) {
          boolean debit = p.side() == Posting.Side.DEBIT;
          if (pending) {
            a.debitsPending += debit ? p.amount() : 0;
            a.creditsPending += debit ? 0 : p.amount();
          } else {
            a.debitsPosted += debit ? p.amount() : 0;
            a.creditsPosted += debit ? 0 : p.amount();
          }
        }
      }
    }

    void record(String id, Transfer t, TransferRequest accepted) {
      transfers.put(id, new MTransfer(id, t.request(), t.status(), t.rejection()));
      if (accepted != null) {
        decide(accepted, id, accepted.pending());
      }
    }

    /** Post (partially: {@code partial} of the one leg) or release a pending transfer. */
    void finishPending(String id, boolean post, Long partial) {
      MTransfer t = transfers.get(id);
      for (Map.Entry<String, List<Posting>> e : t.request.postingsByAccount().entrySet()) {
        MAccount a = accounts.get(e.getKey());
        for (Posting p : e.getValue()) {
          boolean debit = p.side() == Posting.Side.DEBIT;
          long posted = post ? (partial != null ? partial : p.amount()) : 0;
          if (debit) {
            a.debitsPending -= p.amount();
            a.debitsPosted += posted;
          } else {
            a.creditsPending -= p.amount();
            a.creditsPosted += posted;
          }
        }
      }
      t.status = post ? Status.POSTED : Status.VOIDED;
    }
  }
}
