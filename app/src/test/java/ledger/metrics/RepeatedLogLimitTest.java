package ledger.metrics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Before;
import org.junit.Test;

public class RepeatedLogLimitTest {
  private static final String NOISY = "akka.persistence.cassandra.journal.TagWriter";
  private final AtomicLong now = new AtomicLong(1_000);
  private final LoggerContext context = new LoggerContext();
  private final ListAppender<ILoggingEvent> seen = new ListAppender<>();

  @Before
  public void setUp() {
    RepeatedLogLimit limit = new RepeatedLogLimit(now::get);
    limit.setLogger(NOISY);
    limit.setIntervalMillis(10_000);
    limit.setContext(context);
    limit.start();
    context.addTurboFilter(limit);
    seen.setContext(context);
    seen.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(seen);
  }

  private List<String> lines() {
    return seen.list.stream().map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }

  @Test
  public void oneLinePerIntervalAndTheDroppedOnesAreCounted() {
    Logger noisy = context.getLogger(NOISY);
    for (int i = 0; i < 1_000; i++) {
      noisy.warn("Writing tags has failed {}", i);
    }
    assertEquals(List.of("WARN " + NOISY + ": Writing tags has failed 0"), lines());

    now.addAndGet(9_999);
    noisy.warn("Writing tags has failed {}", "late");
    assertEquals("still inside the interval", 1, seen.list.size());

    now.addAndGet(1);
    noisy.warn("Writing tags has failed {}", "next");
    assertEquals(List.of(
        "WARN " + NOISY + ": Writing tags has failed 0",
        "WARN " + RepeatedLogLimit.class.getName() + ": 1000 lines of " + NOISY
            + " dropped since the last one shown (at most one per 10000 ms)",
        "WARN " + NOISY + ": Writing tags has failed next"), lines());
  }

  @Test
  public void errorsAndOtherLoggersAlwaysPass() {
    Logger noisy = context.getLogger(NOISY);
    Logger other = context.getLogger("ledger.fencing.NodeLease");
    for (int i = 0; i < 3; i++) {
      noisy.warn("w{}", i);
      noisy.error("e{}", i);
      other.warn("o{}", i);
    }
    assertEquals(List.of(
        "WARN " + NOISY + ": w0", "ERROR " + NOISY + ": e0", "WARN ledger.fencing.NodeLease: o0",
        "ERROR " + NOISY + ": e1", "WARN ledger.fencing.NodeLease: o1",
        "ERROR " + NOISY + ": e2", "WARN ledger.fencing.NodeLease: o2"), lines());
  }

  @Test
  public void anEnabledCheckIsNotAnEvent() {
    Logger noisy = context.getLogger(NOISY);
    for (int i = 0; i < 5; i++) {
      noisy.isWarnEnabled();
    }
    noisy.warn("first");
    assertEquals(List.of("WARN " + NOISY + ": first"), lines());
  }

  @Test
  public void withoutALoggerItDoesNotStart() {
    RepeatedLogLimit limit = new RepeatedLogLimit(now::get);
    limit.setContext(context);
    limit.start();
    assertFalse(limit.isStarted());
  }

  @Test
  public void theNodesLogbackXmlLimitsTheTagWriter() throws Exception {
    LoggerContext fresh = new LoggerContext();
    var configurator = new ch.qos.logback.classic.joran.JoranConfigurator();
    configurator.setContext(fresh);
    configurator.doConfigure(getClass().getResource("/logback.xml"));
    List<RepeatedLogLimit> limits = fresh.getTurboFilterList().stream()
        .filter(RepeatedLogLimit.class::isInstance).map(RepeatedLogLimit.class::cast).toList();
    assertEquals(1, limits.size());
    assertEquals(true, limits.get(0).isStarted());
    assertEquals(List.of(), fresh.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getLevel() >= ch.qos.logback.core.status.Status.WARN).map(Object::toString).toList());
  }

  @Test(expected = IllegalArgumentException.class)
  public void anIntervalBelowOneMillisecondIsRefused() {
    new RepeatedLogLimit(now::get).setIntervalMillis(0);
  }
}
