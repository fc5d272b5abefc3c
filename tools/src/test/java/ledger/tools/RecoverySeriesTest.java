package ledger.tools;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import ledger.tools.FailoverTimeline.Stage;
import org.junit.Test;

public class RecoverySeriesTest {
  @Test
  public void medianIsTheMiddleRunOrTheMeanOfTheTwoMiddleOnes() {
    assertEquals(12_200, RecoverySeries.median(new long[] {12_200, 9_700, 13_300}));
    assertEquals(11_000, RecoverySeries.median(new long[] {13_000, 9_000, 12_000, 10_000}));
    assertEquals(10_500, RecoverySeries.median(new long[] {10_000, 11_001})); // rounded down
    assertEquals(5, RecoverySeries.median(new long[] {5}));
    assertEquals(-1, RecoverySeries.median(new long[] {}));
    long[] unsorted = {3, 1, 2};
    RecoverySeries.median(unsorted);
    assertArrayEquals("the input is left as it was", new long[] {3, 1, 2}, unsorted);
  }

  @Test
  public void worstIsTheLargest() {
    assertEquals(13_300, RecoverySeries.worst(new long[] {12_200, 13_300, 9_700}));
    assertEquals(-1, RecoverySeries.worst(new long[] {}));
  }

  @Test
  public void sumsUpTheRunsOfOneMode() {
    RecoverySeries s = new RecoverySeries("oldest");
    s.add(new RecoverySeries.Run(12_200, 1_100, 70, 10, 200, timeline(1_500, 3_200, 6_700)));
    s.add(new RecoverySeries.Run(9_700, 900, 60, 0, 200, timeline(1_700, 3_400, -1)));
    s.add(new RecoverySeries.Run(13_300, 1_300, 80, 20, 200, null));
    assertEquals(12_200, s.medianMax());
    assertEquals(13_300, s.worstMax());
    assertEquals(1_100, s.medianP50());
    assertEquals(1_300, s.worstP50());
    assertEquals(210 / 600.0, s.shareAffected(), 1e-9); // over all accounts of all runs
    assertEquals(30 / 600.0, s.shareSlowOnly(), 1e-9);
    assertArrayEquals(new long[] {1_600, 2}, s.medianStage(Stage.UNREACHABLE)); // runs without a timeline do not count
    assertArrayEquals(new long[] {6_700, 1}, s.medianStage(Stage.COORDINATOR_READY));
    assertArrayEquals(new long[] {-1, 0}, s.medianStage(Stage.SHARDS_ALLOCATED));
    String text = s.toString();
    assertTrue(text, text.startsWith("kill oldest, 3 runs: every account served again (max per run): median 12200 ms,"
        + " worst 13300 ms; p50 per run: median 1100 ms, worst 1300 ms; accounts affected (first read after the kill"
        + " failed or slow): 35.0 % (failed 30.0 %, only slow 5.0 %)"));
    assertTrue(text, text.contains("median timeline: unreachable +1600 ms (2 of 3 runs), downed +3300 ms (2 of 3 runs),"));
    assertTrue(text, text.contains("coordinator ready +6700 ms (1 of 3 runs), shards allocated -, last account +12200 ms"));
  }

  @Test
  public void noRunsNoFigures() {
    RecoverySeries s = new RecoverySeries("younger");
    assertEquals(-1, s.medianMax());
    assertEquals(0, s.shareAffected(), 0);
  }

  /** A timeline with the unreachable, downed and coordinator ready stages (-1: not seen). */
  private static FailoverTimeline.Timeline timeline(long unreachable, long downed, long ready) {
    Instant kill = Instant.parse("2026-12-06T15:20:01.000Z");
    String node = "akka://ledger@127.0.0.1:25521";
    List<String> lines = new java.util.ArrayList<>(List.of(
        stamp(kill, unreachable) + " WARN  akka.cluster.Cluster x - Marking node as UNREACHABLE [Member(" + node + ", Up)].",
        stamp(kill, downed) + " WARN  a.c.sbr.SplitBrainResolver x - SBR took decision DownUnreachable and is downing ["
            + node + "]"));
    if (ready >= 0) {
      lines.add(stamp(kill, ready) + " DEBUG a.c.s.PersistentShardCoordinator x - Account: Coordinator initialization completed");
    }
    return FailoverTimeline.read(lines, "127.0.0.1:25521", kill, kill.plusSeconds(60), 0, ZoneId.of("UTC"));
  }

  private static String stamp(Instant kill, long ms) {
    return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS").withZone(ZoneId.of("UTC"))
        .format(kill.plusMillis(ms));
  }
}
