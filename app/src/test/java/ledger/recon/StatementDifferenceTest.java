package ledger.recon;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.time.Instant;
import java.util.List;
import ledger.query.QueryRows.Entry;
import org.junit.Test;

/** The recon's comparison of a statement with the entries its account's journal implies. */
public class StatementDifferenceTest {
  private static final Instant AT = Instant.parse("2026-12-07T00:00:00.123Z");

  private static Entry entry(long version, String side, String transfer) {
    return new Entry("a1", version, side, transfer, 10, "posted", 10L, 20L, 0L, 0L, AT);
  }

  @Test
  public void anAccountOnBothSidesOfOneTransferIsNotADivergence() {
    // One event, debited and credited by two legs of one multi-leg transfer: the event lists the
    // debit first, the table (clustered by version, side) gives the credit first.
    List<Entry> implied = List.of(entry(1, "credit", "t0"), entry(2, "debit", "t1"), entry(2, "credit", "t1"));
    List<Entry> statement = List.of(entry(1, "credit", "t0"), entry(2, "credit", "t1"), entry(2, "debit", "t1"));
    assertNull(ReconRun.statementDifference(implied, statement));
  }

  @Test
  public void aMissingOrChangedEntryIsNamed() {
    List<Entry> implied = List.of(entry(1, "credit", "t0"), entry(2, "debit", "t1"), entry(3, "debit", "t2"));
    assertEquals("3 entries implied by the journal, 2 in the statement; missing [2 debit posted t1], unexpected []",
        ReconRun.statementDifference(implied, List.of(entry(1, "credit", "t0"), entry(3, "debit", "t2"))));
    assertEquals("3 entries implied by the journal, 3 in the statement; missing [3 debit posted t2], unexpected"
            + " [3 debit posted t9]",
        ReconRun.statementDifference(implied,
            List.of(entry(1, "credit", "t0"), entry(2, "debit", "t1"), entry(3, "debit", "t9"))));
  }

  @Test
  public void entriesOutOfVersionOrderDiffer() {
    List<Entry> implied = List.of(entry(1, "credit", "t0"), entry(2, "debit", "t1"));
    assertEquals("2 entries implied by the journal, 2 in the statement; missing [], unexpected []",
        ReconRun.statementDifference(implied, List.of(entry(2, "debit", "t1"), entry(1, "credit", "t0"))));
  }
}
