package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import ledger.account.AccountEntity.Accepted;
import ledger.account.AccountEntity.Command;
import ledger.account.AccountEntity.Reply;
import ledger.metrics.Metrics;
import ledger.testing.TestKits;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Two writers of one account are never hidden. Two incarnations of the same account, each
 * believing it is the only one (what a split brain or a node that kept running after it was
 * taken for dead would give), both write version 2. A third incarnation's recovery must fail
 * loudly, and be counted, instead of Akka's default of silently dropping one writer's event
 * (replay filter mode repair-by-discard-old): the setting under test is application.conf's.
 */
public class SecondWriterTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(TestKits.persistence());

  private static final AccountSpec USD = new AccountSpec("USD", 0L, null, Map.of());

  private ActorRef<Command> incarnation() {
    return testKit.spawn(AccountEntity.create("twice", AccountEntityTest.SETTINGS,
        new AccountEntity.Environment(ledger.transfer.TransferEntity.coordinators(
            id -> testKit.<ledger.transfer.TransferEntity.Command>createTestProbe().ref()), null, Clock.systemUTC())));
  }

  @Test
  public void aRecoveryThatMeetsTwoWritersFailsAndIsCounted() {
    TestProbe<Reply> replies = testKit.createTestProbe();
    ActorRef<Command> first = incarnation();
    first.tell(new AccountEntity.Create(USD, replies.ref()));
    assertEquals(1, ((Accepted) replies.receiveMessage()).account().version());

    ActorRef<Command> second = incarnation();
    second.tell(new AccountEntity.Lock(replies.ref()));
    assertEquals("the second writes version 2", 2, ((Accepted) replies.receiveMessage()).account().version());
    first.tell(new AccountEntity.Update(null, null, Map.of("k", "v"), replies.ref()));
    assertEquals("so does the first, unaware", 2, ((Accepted) replies.receiveMessage()).account().version());

    double before = failures();
    ActorRef<Command> third = incarnation();
    third.tell(new AccountEntity.Get(replies.ref()));
    replies.expectNoMessage(Duration.ofSeconds(2));
    assertTrue("the failed recovery is counted as a second writer", failures() > before);
    testKit.stop(third);
  }

  private static double failures() {
    return Metrics.get(testKit.system()).recoveryFailures.labels("Account", "second_writer").get();
  }
}
