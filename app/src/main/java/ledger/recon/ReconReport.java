package ledger.recon;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import ledger.core.CborSerializable;

/**
 * One recon run: S1 totals per currency, what was checked, and every divergence found (the
 * list is capped, the count is not). {@code error} is set when the run itself failed.
 */
public record ReconReport(Instant startedAt, Instant finishedAt, boolean full, List<CurrencyTotals> currencies,
                          int accountsChecked, int transfersChecked, int pendingLegsChecked, int divergencesFound,
                          List<Divergence> divergences, String error) implements CborSerializable {

  public ReconReport {
    currencies = List.copyOf(currencies);
    divergences = List.copyOf(divergences);
  }

  public boolean ok() {
    return error == null && divergencesFound == 0;
  }

  public record CurrencyTotals(String currency, BigInteger debitsPosted, BigInteger creditsPosted,
                               BigInteger debitsPending, BigInteger creditsPending, long accounts, boolean balanced)
      implements CborSerializable {}

  /** {@code kind} is one of {@link Kind}'s wire names; ids are null where they do not apply. */
  public record Divergence(String kind, String currency, String accountId, String transferId, String detail)
      implements CborSerializable {}

  public enum Kind {
    /** S1: a currency's posted (or pending) debits and credits differ, past the settle re-checks. */
    S1_UNBALANCED,
    /** An account's query rows disagree with its live entity at the same version. */
    QUERY_ROW_MISMATCH,
    /** The query side stayed behind (or without) the entity's version for longer than settle-time. */
    QUERY_BEHIND,
    /** The statement lacks (or has other) entries than the account's journal implies, up to the projected version. */
    STATEMENT_MISMATCH,
    /** Replaying the account's journal does not give its live state. */
    JOURNAL_MISMATCH,
    /** A decided transfer's status is not what an account's transfers row says. */
    TRANSFER_NOT_REFLECTED,
    /** A leg still pending past its bound, whose coordinator is not a live two-phase pending transfer. */
    PENDING_LEG_OVERDUE;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
