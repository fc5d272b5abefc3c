package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess$;
import akka.persistence.testkit.StorageFailure;
import akka.persistence.testkit.WriteEvents;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import ledger.account.AccountEntity.Accepted;
import ledger.account.AccountEntity.Command;
import ledger.account.AccountEntity.PrepareReply;
import ledger.account.AccountEntity.Prepared;
import ledger.account.AccountEntity.Refused;
import ledger.account.AccountEntity.Reply;
import ledger.core.ResultCode;
import ledger.testing.TestKits;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Group commit on an account: commands that arrive while a write is in flight are decided
 * against the state including it and written together, in one journal write; every answer,
 * refusals included, waits for the write it depends on, and a failed write answers nobody.
 * The in-memory journal holds an account's write on a latch to make the commands queue up.
 */
public class GroupCommitTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(TestKits.persistence());

  /** Per persistence id: the number of events in each write the journal received. */
  private static final Map<String, List<Integer>> writes = new ConcurrentHashMap<>();
  /** Per persistence id: the next write waits for this latch. */
  private static final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();
  /** Per persistence id: the next write of more than one event fails. */
  private static final Map<String, AtomicBoolean> failGroup = new ConcurrentHashMap<>();

  private static final Instant DEADLINE = Instant.now().plus(Duration.ofHours(1));

  @BeforeClass
  public static void journal() {
    PersistenceTestKit.create(testKit.system()).withPolicy((String pid, JournalOperation op) -> {
      if (!(op instanceof WriteEvents w)) {
        return ProcessingSuccess$.MODULE$;
      }
      int size = w.batch().size();
      writes.computeIfAbsent(pid, k -> new CopyOnWriteArrayList<>()).add(size);
      CountDownLatch hold = holds.remove(pid);
      if (hold != null) {
        held.get(pid).countDown();
        await(hold);
      }
      AtomicBoolean fail = failGroup.get(pid);
      if (size > 1 && fail != null && fail.compareAndSet(true, false)) {
        return StorageFailure.create(new RuntimeException("injected failure of a group write for " + pid));
      }
      return ProcessingSuccess$.MODULE$;
    });
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(20, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private ActorRef<Command> account(String id, AccountSpec spec, AccountEntity.Settings settings) {
    ActorRef<Command> ref = testKit.spawn(AccountEntity.create(id, settings,
        new AccountEntity.Environment(ledger.transfer.TransferEntity.coordinators(
            t -> testKit.<ledger.transfer.TransferEntity.Command>createTestProbe().ref()), null, Clock.systemUTC())));
    TestProbe<Reply> replies = testKit.createTestProbe();
    ref.tell(new AccountEntity.Create(spec, replies.ref()));
    assertTrue(((Accepted) replies.receiveMessage()).created());
    return ref;
  }

  /**
   * Holds the account's next write: sends {@code first}, whose write it is, waits until that
   * write is held, runs {@code whileHeld} (commands sent now must wait for the write), then
   * releases the write.
   */
  private static void whileAWriteIsHeld(String id, ActorRef<Command> account, Command first, Runnable whileHeld) {
    CountDownLatch release = new CountDownLatch(1);
    held.put("Account|" + id, new CountDownLatch(1));
    holds.put("Account|" + id, release);
    account.tell(first);
    await(held.get("Account|" + id));
    whileHeld.run();
    release.countDown();
  }

  private static AccountEntity.Prepare credit(String transferId, long amount, TestProbe<PrepareReply> replyTo) {
    return new AccountEntity.Prepare(transferId, List.of(new Posting(Posting.Side.CREDIT, amount, "USD")),
        DEADLINE, false, replyTo.ref());
  }

  private static List<Integer> writesOf(String id) {
    return writes.getOrDefault("Account|" + id, List.of());
  }

  @Test
  public void commandsArrivingDuringAWriteGoOutTogetherInTheNextOne() {
    String id = "grouped";
    ActorRef<Command> account = account(id, new AccountSpec("USD", 0L, null, Map.of()), AccountEntityTest.SETTINGS);
    TestProbe<PrepareReply> prepared = testKit.createTestProbe();
    TestProbe<Reply> reads = testKit.createTestProbe();

    whileAWriteIsHeld(id, account, credit("t0", 10, prepared), () -> {
      for (int i = 1; i <= 9; i++) {
        account.tell(credit("t" + i, 10, prepared));
      }
      account.tell(new AccountEntity.Get(reads.ref()));
      prepared.expectNoMessage(Duration.ofMillis(300));
    });

    for (int i = 0; i <= 9; i++) {
      assertEquals(new Prepared(id, "t" + i), prepared.receiveMessage());
    }
    assertEquals("create, the held prepare, then the nine that waited, in one write", List.of(1, 1, 9), writesOf(id));
    Account read = ((Accepted) reads.receiveMessage()).account();
    assertTrue("a read answers what is written: version " + read.version(), read.version() >= 2);
    account.tell(new AccountEntity.Get(reads.ref()));
    Account after = ((Accepted) reads.receiveMessage()).account();
    assertEquals(11, after.version());
    assertEquals(100, after.creditsPending());
    assertEquals("each leg records the version of its own event", 11L,
        (long) after.pending().get("t9").preparedVersion());
  }

  @Test
  public void aFullGroupIsWrittenAtOnce() {
    String id = "bounded";
    AccountEntity.Settings three = new AccountEntity.Settings(100, 8, Duration.ofSeconds(5), Duration.ofSeconds(1),
        Duration.ofMinutes(10), 3, 16 * 1024, 2000);
    ActorRef<Command> account = account(id, new AccountSpec("USD", 0L, null, Map.of()), three);
    TestProbe<PrepareReply> prepared = testKit.createTestProbe();

    whileAWriteIsHeld(id, account, credit("t0", 1, prepared), () -> {
      for (int i = 1; i <= 7; i++) {
        account.tell(credit("t" + i, 1, prepared));
      }
    });
    for (int i = 0; i <= 7; i++) {
      assertEquals(new Prepared(id, "t" + i), prepared.receiveMessage());
    }
    assertEquals("groups of at most three", List.of(1, 1, 3, 3, 1), writesOf(id));
  }

  @Test
  public void aRefusalDecidedOnAGroupWaitsForItAndAFailedGroupAnswersNobody() {
    String id = "failing";
    ActorRef<Command> account = account(id, new AccountSpec("USD", 0L, 100L, Map.of()), AccountEntityTest.SETTINGS);
    TestProbe<PrepareReply> replies = testKit.createTestProbe();

    whileAWriteIsHeld(id, account, credit("first", 60, replies), () -> {
      account.tell(credit("fits", 30, replies));      // 90 <= 100, joins the next group
      account.tell(credit("refused", 30, replies));   // 120 > 100 only because of "fits"
      account.tell(credit("also", 5, replies));       // 95: a second event, so the group is written as one
      failGroup.put("Account|" + id, new AtomicBoolean(true));
    });

    assertEquals(new Prepared(id, "first"), replies.receiveMessage());
    replies.expectNoMessage(Duration.ofSeconds(1)); // the group failed: no answer, refusal included
    assertEquals(List.of(1, 1, 2), writesOf(id));

    // The account restarted from the journal: only "first" is held, so 30 fits again.
    TestProbe<Reply> reads = testKit.createTestProbe();
    Account recovered = null;
    for (int attempt = 0; attempt < 50 && recovered == null; attempt++) {
      account.tell(new AccountEntity.Get(reads.ref()));
      recovered = reads.receiveMessage(Duration.ofSeconds(5)) instanceof Accepted a ? a.account() : null;
    }
    assertEquals(2, recovered.version());
    assertEquals(60, recovered.creditsPending());
    account.tell(credit("refused", 30, replies));
    assertEquals(new Prepared(id, "refused"), replies.receiveMessage());
    account.tell(credit("over", 20, replies));
    assertEquals(new Refused(id, "over", ResultCode.EXCEEDS_MAX_BALANCE), replies.receiveMessage());
  }
}
