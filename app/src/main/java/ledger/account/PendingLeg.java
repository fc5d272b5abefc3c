package ledger.account;

import java.time.Instant;
import java.util.List;
import ledger.core.CborSerializable;
import ledger.money.Money;

/**
 * What one transfer holds on one account between Prepare and Post/Void: the sums of its
 * debit and credit postings (a multi-leg transfer may touch an account on both sides).
 *
 * @param deadline the coordinator's prepare deadline; a Prepare arriving later is refused
 * @param preparedVersion the account version of its LegPrepared event (orders "transfers by
 *     account" on the read side); null in legs persisted before it was recorded
 * @param twoPhase true for the hold of a two-phase (pending) transfer, which the account's
 *     statement shows; false for the protocol's own hold of a one-phase transfer, which it does
 *     not (the statement shows only that transfer's posting); null in legs persisted before it
 *     was recorded (shown, as they always were)
 */
public record PendingLeg(String transferId, String currency, long debit, long credit, Instant preparedAt,
                         Instant deadline, Long preparedVersion, Boolean twoPhase) implements CborSerializable {
  public PendingLeg {
    if (debit < 0 || credit < 0 || debit + credit == 0) {
      throw new IllegalStateException("a pending leg holds a positive amount: " + transferId);
    }
  }

  /** A leg as persisted before {@code twoPhase} was recorded. */
  public PendingLeg(String transferId, String currency, long debit, long credit, Instant preparedAt, Instant deadline,
                    Long preparedVersion) {
    this(transferId, currency, debit, credit, preparedAt, deadline, preparedVersion, null);
  }

  /** Whether the statement shows this hold and its release (see {@code twoPhase}). */
  public boolean inStatement() {
    return twoPhase == null || twoPhase;
  }

  /** Sums the postings exactly; throws ArithmeticException on overflow. */
  static PendingLeg of(String transferId, String currency, List<Posting> postings, Instant at, Instant deadline,
                       Long preparedVersion, Boolean twoPhase) {
    long debit = 0;
    long credit = 0;
    for (Posting p : postings) {
      if (p.side() == Posting.Side.DEBIT) {
        debit = Money.add(debit, p.amount());
      } else {
        credit = Money.add(credit, p.amount());
      }
    }
    return new PendingLeg(transferId, currency, debit, credit, at, deadline, preparedVersion, twoPhase);
  }
}
