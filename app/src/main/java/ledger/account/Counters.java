package ledger.account;

import ledger.core.CborSerializable;

/**
 * The four balance counters of an account after an event. Leg events carry them so that the
 * read side can write every row from the event alone (idempotent, in any order), without
 * replaying the account.
 */
public record Counters(long debitsPosted, long creditsPosted, long debitsPending, long creditsPending)
    implements CborSerializable {

  public static Counters of(Account a) {
    return new Counters(a.debitsPosted(), a.creditsPosted(), a.debitsPending(), a.creditsPending());
  }

  public long balance() {
    return ledger.money.Money.balance(creditsPosted, debitsPosted);
  }

  public long available() {
    return ledger.money.Money.available(creditsPosted, debitsPosted, debitsPending);
  }
}
