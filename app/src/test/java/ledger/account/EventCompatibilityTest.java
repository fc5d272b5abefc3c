package ledger.account;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import akka.actor.testkit.typed.javadsl.TestKitJunitResource;
import akka.serialization.SerializationExtension;
import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Account events as the previous release wrote them (Jackson CBOR bytes captured from it,
 * before leg events carried their leg and counters for the read side) still deserialize, and
 * still replay to the same account.
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
  public void newEventsRoundTrip() {
    PendingLeg leg = new PendingLeg("t", "USD", 0, 7, T, T.plusSeconds(3), 2L);
    AccountEntity.LegPosted e = new AccountEntity.LegPosted("t", 5L, T, leg, new Counters(0, 5, 0, 0));
    var serialization = SerializationExtension.get(testKit.system());
    byte[] bytes = serialization.serialize(e).get();
    assertEquals(e, serialization.deserialize(bytes, AccountEntity.LegPosted.class).get());
  }
}
