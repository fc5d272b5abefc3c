package ledger.transfer;

import ledger.core.CborSerializable;

/** One leg of a transfer: {@code amount} of {@code currency} from the debit to the credit account. */
public record Leg(String debitAccountId, String creditAccountId, long amount, String currency)
    implements CborSerializable {
  public Leg {
    if (amount < 1 || debitAccountId.equals(creditAccountId)) {
      throw new IllegalArgumentException("invalid leg " + debitAccountId + " -> " + creditAccountId + ": " + amount);
    }
  }
}
