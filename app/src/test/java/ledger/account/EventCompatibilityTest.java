package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import ledger.transfer.Leg;
import ledger.transfer.Transfer;
import ledger.transfer.TransferEntity;
import ledger.transfer.TransferRequest;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Events as earlier releases wrote them (Jackson CBOR bytes captured from them: leg events
 * before they carried their leg and counters for the read side; account and transfer events
 * before they carried who asked) still deserialize, with the new fields null, and still replay
 * to the same account or transfer.
 */
public class EventCompatibilityTest {
  @ClassRule
  public static final TestKitJunitResource testKit = new TestKitJunitResource(ConfigFactory.parseString(
      "akka.actor.allow-java-serialization = off\n"
          + "akka.actor.serialization-bindings { \"ledger.core.CborSerializable\" = jackson-cbor }"));

  private static final int JACKSON_CBOR = 33;
  private static final Instant T = Instant.parse("2026-11-20T10:00:00.123Z");

  /** LegPrepared(PendingLeg(t-old, USD, debit 250, credit 0, T, T+3s), T), without preparedVersion. */
  private static final String OLD_PREPARED = "v2NsZWe/anRyYW5zZmVySWRldC1vbGRoY3VycmVuY3ljVVNEZWRlYml0GPpmY3JlZGl0AG"
      + "pwcmVwYXJlZEF0eBgyMDI2LTExLTIwVDEwOjAwOjAwLjEyM1poZGVhZGxpbmV4GDIwMjYtMTEtMjBUMTA6MDA6MDMuMTIzWv9iYXR4GDIwMj"
      + "YtMTEtMjBUMTA6MDA6MDAuMTIzWv8=";
  /** LegPosted(t-old, null, T+5ms). */
  private static final String OLD_POSTED =
      "v2p0cmFuc2ZlcklkZXQtb2xkbXBhcnRpYWxBbW91bnT2YmF0eBgyMDI2LTExLTIwVDEwOjAwOjAwLjEyOFr/";
  /** LegVoided(t-old2, T+6ms). */
  private static final String OLD_VOIDED = "v2p0cmFuc2ZlcklkZnQtb2xkMmJhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjla/w==";

  // Captured before events named who asked (requestedBy).
  /** Created(a-old, AccountSpec(USD, -100, 5000, {k: v}), T). */
  private static final String OLD_CREATED = "v2lhY2NvdW50SWRlYS1vbGRkc3BlY79oY3VycmVuY3ljVVNEam1pbkJhbGFuY2U4Y2ptYXhCYWxh"
      + "bmNlGROIaG1ldGFkYXRhv2FrYXb//2JhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjNa/w==";
  /** Locked(T+1ms), Unlocked(T+2ms), Closed(T+3ms). */
  private static final String OLD_LOCKED = "v2JhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjRa/w==";
  private static final String OLD_UNLOCKED = "v2JhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjVa/w==";
  private static final String OLD_CLOSED = "v2JhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjZa/w==";
  /** LimitsChanged(-50, null, {k: w}, T+4ms). */
  private static final String OLD_LIMITS =
      "v2ptaW5CYWxhbmNlODFqbWF4QmFsYW5jZfZobWV0YWRhdGG/YWthd/9iYXR4GDIwMjYtMTEtMjBUMTA6MDA6MDAuMTI3Wv8=";
  /** Decided(Transfer(t-old, pending a-old -> b-old 250 USD, timeout 60 s, created T, decided T+7ms)). */
  private static final String OLD_DECIDED = "v2h0cmFuc2Zlcr9iaWRldC1vbGRncmVxdWVzdL9kbGVnc4G/bmRlYml0QWNjb3VudElkZWEt"
      + "b2xkb2NyZWRpdEFjY291bnRJZGViLW9sZGZhbW91bnQY+mhjdXJyZW5jeWNVU0T/Z3BlbmRpbmf1bnRpbWVvdXRTZWNvbmRzGDxobWV0YWRh"
      + "dGG///9mc3RhdHVzZ1BFTkRJTkdpcmVqZWN0aW9u9mxwb3N0ZWRBbW91bnT2aWNyZWF0ZWRBdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMjNa"
      + "aWRlY2lkZWRBdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMzBaaWV4cGlyZXNBdHgYMjAyNi0xMS0yMFQxMDowMTowMC4xMjNa//8=";
  /** PendingPosted(100, T+8ms), PendingVoided(T+9ms). */
  private static final String OLD_PENDING_POSTED = "v2ZhbW91bnQYZGJhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMzFa/w==";
  private static final String OLD_PENDING_VOIDED = "v2JhdHgYMjAyNi0xMS0yMFQxMDowMDowMC4xMzJa/w==";

  private static Object read(String base64, Class<?> type) {
    return SerializationExtension.get(testKit.system()).deserialize(Base64.getDecoder().decode(base64), JACKSON_CBOR,
        type.getName()).get();
  }

  @Test
  public void oldLegEventsDeserializeWithTheNewFieldsNull() {
    AccountEntity.LegPrepared prepared = (AccountEntity.LegPrepared) read(OLD_PREPARED, AccountEntity.LegPrepared.class);
    assertEquals(new PendingLeg("t-old", "USD", 250, 0, T, T.plusSeconds(3), null), prepared.leg());
    assertEquals(T, prepared.at());
    assertNull(prepared.after());
    AccountEntity.LegPosted posted = (AccountEntity.LegPosted) read(OLD_POSTED, AccountEntity.LegPosted.class);
    assertEquals(new AccountEntity.LegPosted("t-old", null, T.plusMillis(5), null, null), posted);
    AccountEntity.LegVoided voided = (AccountEntity.LegVoided) read(OLD_VOIDED, AccountEntity.LegVoided.class);
    assertEquals(new AccountEntity.LegVoided("t-old2", T.plusMillis(6), null, null), voided);
  }

  @Test
  public void oldEventsReplayToTheSameAccount() {
    AccountEntity.State s = AccountEntity.applyEvent(new AccountEntity.Empty(),
        new AccountEntity.Created("a", new AccountSpec("USD", null, null, Map.of()), T));
    s = AccountEntity.applyEvent(s, (AccountEntity.Event) read(OLD_PREPARED, AccountEntity.LegPrepared.class));
    assertEquals(250, ((Account) s).debitsPending());
    s = AccountEntity.applyEvent(s, (AccountEntity.Event) read(OLD_POSTED, AccountEntity.LegPosted.class));
    Account a = (Account) s;
    assertEquals(250, a.debitsPosted());
    assertEquals(0, a.debitsPending());
    assertEquals(3, a.version());
    assertEquals(-250, a.balance());
  }

  @Test
  public void accountEventsWrittenBeforeWhoAskedReplayWithNoCaller() {
    AccountEntity.Created created = (AccountEntity.Created) read(OLD_CREATED, AccountEntity.Created.class);
    assertEquals(new AccountEntity.Created("a-old", new AccountSpec("USD", -100L, 5000L, Map.of("k", "v")), T, null),
        created);
    assertEquals(new AccountEntity.Locked(T.plusMillis(1), null), read(OLD_LOCKED, AccountEntity.Locked.class));
    assertEquals(new AccountEntity.Unlocked(T.plusMillis(2), null), read(OLD_UNLOCKED, AccountEntity.Unlocked.class));
    assertEquals(new AccountEntity.Closed(T.plusMillis(3), null), read(OLD_CLOSED, AccountEntity.Closed.class));
    AccountEntity.LimitsChanged limits = (AccountEntity.LimitsChanged) read(OLD_LIMITS, AccountEntity.LimitsChanged.class);
    assertEquals(new AccountEntity.LimitsChanged(-50L, null, Map.of("k", "w"), T.plusMillis(4), null), limits);

    AccountEntity.State s = AccountEntity.applyEvent(new AccountEntity.Empty(), created);
    s = AccountEntity.applyEvent(s, (AccountEntity.Event) read(OLD_LOCKED, AccountEntity.Locked.class));
    assertEquals(Account.Status.LOCKED, ((Account) s).status());
    s = AccountEntity.applyEvent(s, (AccountEntity.Event) read(OLD_UNLOCKED, AccountEntity.Unlocked.class));
    s = AccountEntity.applyEvent(s, limits);
    s = AccountEntity.applyEvent(s, (AccountEntity.Event) read(OLD_CLOSED, AccountEntity.Closed.class));
    Account a = (Account) s;
    assertEquals(Account.Status.CLOSED, a.status());
    assertEquals(Long.valueOf(-50), a.minBalance());
    assertNull(a.maxBalance());
    assertEquals(Map.of("k", "w"), a.metadata());
    assertEquals(5, a.version());
  }

  @Test
  public void transferEventsWrittenBeforeWhoAskedDeserializeWithNoCaller() {
    TransferRequest request = new TransferRequest(List.of(new Leg("a-old", "b-old", 250, "USD")), true, 60L, Map.of());
    Transfer pending = new Transfer("t-old", request, Transfer.Status.PENDING, null, null, T, T.plusMillis(7),
        T.plusSeconds(60));
    assertEquals(new TransferEntity.Decided(pending, null), read(OLD_DECIDED, TransferEntity.Decided.class));
    assertEquals(new TransferEntity.PendingPosted(100L, T.plusMillis(8), null),
        read(OLD_PENDING_POSTED, TransferEntity.PendingPosted.class));
    assertEquals(new TransferEntity.PendingVoided(T.plusMillis(9), null),
        read(OLD_PENDING_VOIDED, TransferEntity.PendingVoided.class));
  }

  @Test
  public void eventsNamingWhoAskedRoundTrip() {
    var serialization = SerializationExtension.get(testKit.system());
    List<Object> events = List.of(
        new AccountEntity.Created("a", new AccountSpec("USD", null, null, Map.of()), T, "0123456789abcdef"),
        new AccountEntity.Locked(T, "jwt:ops \"x\"\n"),
        new AccountEntity.LimitsChanged(1L, 2L, Map.of(), T, "jwt:s"),
        new TransferEntity.PendingVoided(T, "k"));
    for (Object e : events) {
      assertEquals(e, serialization.deserialize(serialization.serialize(e).get(), e.getClass()).get());
    }
  }

  @Test
  public void newEventsRoundTrip() {
    PendingLeg leg = new PendingLeg("t", "USD", 0, 7, T, T.plusSeconds(3), 2L);
    AccountEntity.LegPosted e = new AccountEntity.LegPosted("t", 5L, T, leg, new Counters(0, 5, 0, 0));
    var serialization = SerializationExtension.get(testKit.system());
    byte[] bytes = serialization.serialize(e).get();
    assertEquals(e, serialization.deserialize(bytes, AccountEntity.LegPosted.class).get());
  }
}
