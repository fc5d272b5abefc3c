package ledger.account;

import ledger.core.CborSerializable;

/** One side of one leg as seen by one account: debit or credit of an amount in a currency. */
public record Posting(Side side, long amount, String currency) implements CborSerializable {
  public enum Side { DEBIT, CREDIT }

  public Posting {
    if (amount < 1) {
      throw new IllegalArgumentException("a posting amount is at least 1, got " + amount);
    }
  }
}
