package ledger.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Marker;

/**
 * Lets one event of a logger through per interval and drops the others (logback.xml). For
 * loggers outside our code that repeat one line without end: the Cassandra plugin's tag writer
 * retries a failed write at once (events-by-tag flush-interval 0) and warns each time,
 * 25,000-50,000 lines a second on a 2-core box while Cassandra is down. Events at ERROR and
 * above always pass. The next event let through after a drop is preceded by a WARN line of this
 * class saying how many were dropped, so the count is never lost.
 */
public final class RepeatedLogLimit extends TurboFilter {
  private String loggerName;
  private long intervalMillis = 10_000;
  private final LongSupplier clock;
  private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong dropped = new AtomicLong();

  public RepeatedLogLimit() {
    this(() -> System.nanoTime() / 1_000_000);
  }

  RepeatedLogLimit(LongSupplier millis) {
    this.clock = millis;
  }

  /** The logger whose events are limited (exact name). */
  public void setLogger(String name) {
    this.loggerName = name;
  }

  /** At most one event per this many milliseconds; at least 1. */
  public void setIntervalMillis(long millis) {
    if (millis < 1) {
      throw new IllegalArgumentException("intervalMillis must be at least 1, not " + millis);
    }
    this.intervalMillis = millis;
  }

  @Override
  public void start() {
    if (loggerName == null || loggerName.isBlank()) {
      addError("RepeatedLogLimit needs <logger>");
      return;
    }
    super.start();
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (!isStarted() || level == null || level.isGreaterOrEqual(Level.ERROR) || !logger.getName().equals(loggerName)
        || (format == null && params == null && t == null)) {
      // (The last: an isWarnEnabled()-style check, not an event.)
      return FilterReply.NEUTRAL;
    }
    long now = clock.getAsLong();
    long next = nextAllowed.get();
    if (now >= next && nextAllowed.compareAndSet(next, now + intervalMillis)) {
      long gone = dropped.getAndSet(0);
      if (gone > 0) {
        logger.getLoggerContext().getLogger(RepeatedLogLimit.class)
            .warn("{} lines of {} dropped since the last one shown (at most one per {} ms)", gone, loggerName,
                intervalMillis);
      }
      return FilterReply.NEUTRAL;
    }
    dropped.incrementAndGet();
    return FilterReply.DENY;
  }
}
