package ledger.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import ledger.testing.ClusterNodeProcess;
import ledger.testing.TestHttp;
import ledger.testing.TestKeys;
import ledger.tools.Recovery;

/** What the cluster fault tests share: the load they measure under, and what must hold after the fault. */
final class RecoveryChecks {
  private RecoveryChecks() {}

  /** 40 accounts, 24 workers, 5 s of load before the fault, 90 s for every account to be served again. */
  static Recovery.Settings settings(List<ClusterNodeProcess> nodes, long seed) {
    return new Recovery.Settings(nodes.stream().map(ClusterNodeProcess::url).toList(), TestKeys.key().text(), 40, 24,
        Duration.ofSeconds(5), Duration.ofSeconds(90), seed);
  }

  /**
   * Every account served again ({@code servedBy} names by whom), the fault disturbed some, more
   * than {@code acknowledgedMin} transfers were acknowledged and none is lost, every balance is
   * exact, and S1 holds.
   */
  static void assertRecovered(Recovery.Outcome outcome, String fault, String servedBy, long acknowledgedMin) {
    assertTrue("every account served again" + servedBy + ": " + outcome, outcome.allRecovered());
    assertTrue("the " + fault + " disturbed some accounts (else this measured nothing): " + outcome,
        outcome.failed() > 0);
    assertTrue("transfers were acknowledged: " + outcome, outcome.acknowledged() > acknowledgedMin);
    assertEquals("acknowledged transfers lost: " + outcome, 0, outcome.acknowledgedLost());
    assertEquals("accounts whose balance is not exactly their posted transfers: " + outcome, 0,
        outcome.balanceMismatches());
    assertTrue("S1: " + outcome, outcome.s1Holds());
  }

  /** The node started again joins the three and serves the outcome's first account. */
  static void assertRejoinsAndServes(ClusterNodeProcess restarted, Recovery.Outcome outcome, String what)
      throws Exception {
    restarted.awaitUp(3, Duration.ofSeconds(120));
    assertEquals(what, 200, new TestHttp(restarted.url()).get("/accounts/" + outcome.firstAccountId()).status());
  }
}
